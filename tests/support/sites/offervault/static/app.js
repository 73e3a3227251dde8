// Minimal stand-in for OfferVault's React app: everything on the page comes from the JSON API.
(function () {
  var root = document.getElementById('root');
  var path = location.pathname, params = new URLSearchParams(location.search);
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"]/g, function (c) { return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]; }); }
  if (path === '/offers') {
    var page = parseInt(params.get('page') || '1', 10);
    fetch('/api/offers/search', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                 body: JSON.stringify({query: '', page: page, per_page: 2})})
      .then(function (r) { return r.json(); }).then(function (d) {
        var rows = d.offers.map(function (o) {
          return '<tr class="offer-row"><td class="offer-name"><a href="/offer/' + o.id + '/' + o.slug + '">' + esc(o.name) +
                 '</a></td><td class="payout">' + esc(o.payout_text) + '</td><td>' + esc(o.countries.join(', ')) + '</td></tr>';
        }).join('');
        var next = d.page < d.pages ? '<a class="page-link" rel="next" href="/offers?page=' + (d.page + 1) + '">Next</a>' : '';
        root.innerHTML = '<div class="container"><h1>Offers</h1><table class="table offers"><thead><tr><th>Offer</th><th>Payout</th><th>Geo</th></tr></thead><tbody>' +
                         rows + '</tbody></table><nav class="pagination">' + next + '</nav></div>';
      });
  } else if (path.indexOf('/offer/') === 0) {
    var id = path.split('/')[2];
    fetch('/api/offers/' + id).then(function (r) { return r.json(); }).then(function (o) {
      root.innerHTML = '<div class="container offer-detail"><h1 class="offer-name">' + esc(o.name) + '</h1>' +
        '<table class="table offer-info"><tbody>' +
        '<tr><th>Payout</th><td>' + esc(o.payout_text) + '</td></tr>' +
        '<tr><th>Payout Type</th><td>' + esc(o.payout_type) + '</td></tr>' +
        '<tr><th>Categories</th><td>' + esc(o.categories.join(', ')) + '</td></tr>' +
        '<tr><th>Countries</th><td>' + esc(o.countries.join(', ')) + '</td></tr>' +
        '<tr><th>Network</th><td>' + esc(o.network) + '</td></tr>' +
        '<tr><th>EPC</th><td>' + esc(o.epc == null ? 'N/A' : '$' + o.epc) + '</td></tr></tbody></table>' +
        '<a class="btn preview-link" href="' + esc(o.preview_url) + '">Preview</a>' +
        '<div class="offer-description">' + o.description + '</div></div>';
    });
  }
})();
