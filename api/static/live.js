// The live page: gap events from /live/stream (Server-Sent Events), newest first. No library.
(function () {
  const list = document.getElementById("events");
  const english = list.dataset.lang === "en";
  const source = new EventSource("/live/stream");
  for (const kind of ["new", "worsened", "improved", "changed", "resolved"]) {
    source.addEventListener(kind, function (message) {
      const event = JSON.parse(message.data);
      const item = document.createElement("li");
      item.className = "event " + (event.after || "resolved");
      item.dataset.gap = event.gap;
      const link = document.createElement("a");
      link.href = "/gap/" + event.gap;
      link.textContent = event.gap;
      item.append("#" + event.seq + " ", link,
        " " + (event.before || "—") + " → " + (event.after || "—") + " · " + (english ? event.message_en : event.message_zh));
      list.prepend(item);
    });
  }
})();
