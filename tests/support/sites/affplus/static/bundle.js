// Stand-in for Affplus's client bundle: cards on /offers, stat blocks on /o/<id>-<slug>.
(function () {
  var app = document.getElementById('app'), path = location.pathname, q = new URLSearchParams(location.search);
  function stat(label, value) { return '<div class="stat"><div class="stat-label">' + label + '</div><div class="stat-value">' + (value || '-') + '</div></div>'; }
  if (path === '/offers') {
    var page = q.get('page') || '1';
    fetch('/api/offers?page=' + page).then(function (r) { return r.json(); }).then(function (d) {
      var cards = d.items.map(function (o) {
        return '<div class="offer-card"><a class="offer-link" href="/o/' + o.id + '-' + o.slug + '"><h2>' + o.title + '</h2></a><span class="payout">' + o.payout + '</span></div>';
      }).join('');
      app.innerHTML = '<main><h1>Offers</h1><section class="grid">' + cards + '</section>' +
        (d.next ? '<a class="btn-next" rel="next" href="/offers?page=' + d.next + '">Next page</a>' : '') + '</main>';
    });
  } else if (path.indexOf('/o/') === 0) {
    var id = path.split('/')[2].split('-')[0];
    fetch('/api/offer/' + id).then(function (r) { return r.json(); }).then(function (o) {
      app.innerHTML = '<main class="offer-page"><h1 class="offer-title">' + o.title + '</h1><div class="stats">' +
        stat('Payout', o.payout) + stat('Type', o.type) + stat('Vertical', o.vertical) + stat('GEO', o.geo) +
        stat('Network', o.network) + stat('EPC', o.epc) + '</div><div class="offer-description">' + o.description + '</div></main>';
    });
  }
})();
