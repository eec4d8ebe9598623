// A notice ("店铺已添加", "签到成功" …) arrives as ?notice= after a form was sent and is shown
// once: drop it from the address so that a reload or a shared link does not show it again.
(function () {
  var url = new URL(window.location.href);
  if (url.searchParams.has("notice")) {
    url.searchParams.delete("notice");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }
})();
