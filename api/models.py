"""The answers the API shares: its one error body, and the error responses routes declare."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ProblemPublic(BaseModel):
    """One problem found in a request or an upload: where (file, sheet, row, column) and what."""

    zh: str
    en: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None


class ErrorBody(BaseModel):
    """Every error the API answers: a code, the reason in Chinese and English, and the problems."""

    code: str = Field(description="What went wrong, for a program: bad_input, forbidden, rate_limited …")
    zh: str = Field(description="The reason, in Chinese.")
    en: str = Field(description="The reason, in English.")
    problems: list[ProblemPublic] = Field(default_factory=list)
    rule: str | None = Field(default=None, description="A lifecycle refusal: the rule that refused it.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "code": "forbidden",
                    "zh": "角色「教师」无权访问此资源",
                    "en": "the role 'teacher' may not access this resource",
                    "problems": [],
                }
            ]
        }
    }


def _error(description: str) -> dict[str, object]:
    return {"model": ErrorBody, "description": description}


# What any route may answer besides its own: no or a bad token, a role that may not, bad parameters,
# too many requests, a busy store.
ERRORS: dict[int | str, dict[str, object]] = {
    401: _error("No valid token was sent / 需要有效的令牌"),
    403: _error("The caller's role may not do this / 角色无权访问"),
    422: _error("The request's parameters are not valid / 请求参数有误"),
    429: _error("Too many requests: see Retry-After / 请求过于频繁"),
    503: _error("The store is busy or unavailable / 数据存储暂不可用"),
}
NOT_FOUND: dict[int | str, dict[str, object]] = {404: _error("No such resource / 没有这个资源")}
BAD_INPUT: dict[int | str, dict[str, object]] = {400: _error("The input was refused / 输入有误")}
