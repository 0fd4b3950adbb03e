// The dashboard's page script: draws the data that page.ts embedded (the
// Dashboard of model.ts) with uPlot. Runs from file:// with no network.
// Every text from the history goes through textContent, never HTML.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('perfgate-data').textContent);
  var STEP_COLOR = '#d00000';
  var PALETTE = { ours: '#1f4fd1', glibc: '#7f7f7f', mimalloc: '#2ca02c', jemalloc: '#ff9f1c', tcmalloc: '#9467bd' };
  var EXTRA = ['#17becf', '#8c564b', '#e377c2', '#bcbd22'];
  var METRIC_TITLE = {
    max_rss_kb: 'peak RSS',
    faults_per_op: 'page faults per op',
    syscalls_per_op: 'syscalls per op',
    instructions_per_op: 'instructions per op',
  };
  var charts = [];

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function colorOf(name, i) {
    return PALETTE[name] || EXTRA[i % EXTRA.length];
  }

  function fmt(v) {
    if (v === null || v === undefined) return '–';
    var a = Math.abs(v);
    if (a >= 1e9) return (v / 1e9).toPrecision(4) + ' G';
    if (a >= 1e6) return (v / 1e6).toPrecision(4) + ' M';
    if (a >= 1e4) return (v / 1e3).toPrecision(4) + ' k';
    return v.toPrecision(4);
  }

  function pct(v) {
    return (v > 0 ? '+' : '') + v.toFixed(2) + ' %';
  }

  function commitNode(sha) {
    var short = sha.slice(0, 12);
    if (!data.repoUrl) return el('code', { title: sha }, short);
    var a = el('a', { href: data.repoUrl + '/commit/' + sha, title: sha, class: 'commit' });
    a.appendChild(el('code', {}, short));
    return a;
  }

  function stepMarkers(chart) {
    return {
      hooks: {
        draw: [
          function (u) {
            var ctx = u.ctx;
            ctx.save();
            ctx.strokeStyle = STEP_COLOR;
            ctx.lineWidth = 2 * devicePixelRatio;
            ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
            chart.changePoints.forEach(function (cp) {
              var x = Math.round(u.valToPos(cp.index, 'x', true));
              ctx.beginPath();
              ctx.moveTo(x, u.bbox.top);
              ctx.lineTo(x, u.bbox.top + u.bbox.height);
              ctx.stroke();
            });
            ctx.restore();
          },
        ],
      },
    };
  }

  function tooltip(chart, tip) {
    return {
      hooks: {
        setCursor: [
          function (u) {
            var i = u.cursor.idx;
            if (i === null || i === undefined || u.cursor.left < 0) {
              tip.hidden = true;
              return;
            }
            var c = chart.commits[i];
            tip.textContent = '';
            tip.appendChild(el('div', { class: 'sha' }, c.sha));
            tip.appendChild(el('div', { class: 'date' }, c.date.replace('T', ' ').replace(/\.\d+Z$/, 'Z')));
            if (c.subject) tip.appendChild(el('div', { class: 'subject' }, c.subject));
            chart.series.forEach(function (s) {
              var v = s.values[i];
              var cv = s.cvPct[i];
              var line =
                s.allocator +
                ': ' +
                fmt(v) +
                (chart.unit ? ' ' + chart.unit : '') +
                (cv !== null && v !== null ? ' (CV ' + cv.toFixed(1) + ' %)' : '');
              tip.appendChild(el('div', { class: 'value' }, line));
            });
            var over = u.over.getBoundingClientRect();
            tip.style.left = window.scrollX + over.left + u.cursor.left + 14 + 'px';
            tip.style.top = window.scrollY + over.top + u.cursor.top + 14 + 'px';
            tip.hidden = false;
          },
        ],
      },
    };
  }

  function drawChart(chart, parent, tip) {
    var points = chart.series.reduce(function (n, s) {
      return (
        n +
        s.values.filter(function (v) {
          return v !== null;
        }).length
      );
    }, 0);
    var fig = el('figure', {
      class: 'chart',
      'data-benchmark': chart.benchmark,
      'data-metric': chart.metric,
      'data-points': String(points),
      'data-steps': String(chart.changePoints.length),
    });
    var title = chart.benchmark + ': ' + (METRIC_TITLE[chart.metric] || chart.metric);
    if (chart.kind === 'result' && chart.higherIsBetter !== undefined)
      title += chart.higherIsBetter ? ' (higher is better)' : ' (lower is better)';
    if (chart.unit) title += ', ' + chart.unit;
    var cap = el('figcaption');
    cap.appendChild(el('span', { class: 'title' }, title));
    chart.changePoints.forEach(function (cp) {
      var step = el('span', { class: 'step', 'data-commit': cp.commit });
      step.appendChild(
        document.createTextNode('step ' + pct(cp.changePct) + ' (' + cp.allocator + ', confidence ' + cp.confidence.toFixed(3) + ') at '),
      );
      step.appendChild(commitNode(cp.commit));
      cap.appendChild(step);
    });
    fig.appendChild(cap);
    var plot = el('div', { class: 'plot' });
    fig.appendChild(plot);
    parent.appendChild(fig);

    var x = chart.commits.map(function (_, i) {
      return i;
    });
    var opts = {
      width: Math.max(320, Math.min(plot.clientWidth || 900, 1100)),
      height: 260,
      scales: { x: { time: false } },
      legend: { show: true, live: false },
      cursor: { points: { size: 7 } },
      axes: [
        {
          values: function (u, splits) {
            return splits.map(function (v) {
              return Number.isInteger(v) && chart.commits[v] ? chart.commits[v].sha.slice(0, 7) : '';
            });
          },
        },
        {
          size: 70,
          values: function (u, splits) {
            return splits.map(fmt);
          },
        },
      ],
      series: [{ label: 'commit' }].concat(
        chart.series.map(function (s, i) {
          return { label: s.allocator, stroke: colorOf(s.allocator, i), width: 2, spanGaps: true, points: { show: true, size: 5 } };
        }),
      ),
      plugins: [stepMarkers(chart), tooltip(chart, tip)],
    };
    var u = new uPlot(
      opts,
      [x].concat(
        chart.series.map(function (s) {
          return s.values;
        }),
      ),
      plot,
    );
    charts.push(u);
  }

  function drawScorecard(view, parent) {
    var allocs = [];
    view.latest.rows.forEach(function (r) {
      Object.keys(r.ratios).forEach(function (a) {
        if (allocs.indexOf(a) < 0) allocs.push(a);
      });
    });
    var section = el('section', { id: 'scorecard' });
    var h = el('h2', {}, 'Latest scorecard: median over mimalloc\u2019s, at ');
    h.appendChild(commitNode(view.latest.sha));
    section.appendChild(h);
    var table = el('table');
    var head = el('tr');
    head.appendChild(el('th', {}, 'benchmark'));
    allocs.forEach(function (a) {
      head.appendChild(el('th', {}, a));
    });
    table.appendChild(head);
    view.latest.rows.forEach(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', {}, r.benchmark));
      allocs.forEach(function (a) {
        var v = r.ratios[a];
        tr.appendChild(el('td', { class: 'num' }, v === null || v === undefined ? '–' : v.toFixed(3) + '\u00d7'));
      });
      table.appendChild(tr);
    });
    section.appendChild(table);
    parent.appendChild(section);
  }

  function show(index) {
    charts.forEach(function (u) {
      u.destroy();
    });
    charts = [];
    var main = document.getElementById('view');
    main.textContent = '';
    var view = data.machines[index];
    if (!view) {
      main.appendChild(el('p', {}, 'No records yet: perfgate record (or the action\u2019s rebase mode) writes them.'));
      return;
    }
    main.appendChild(
      el(
        'p',
        { class: 'machine' },
        view.records + ' record(s) on ' + view.machine + '. Results of different machines are never compared; switch machine above.',
      ),
    );
    drawScorecard(view, main);
    var tip = document.getElementById('tooltip');
    view.charts.forEach(function (c) {
      drawChart(c, main, tip);
    });
  }

  var select = document.getElementById('machine');
  data.machines.forEach(function (m, i) {
    select.appendChild(el('option', { value: String(i) }, m.machine + ' (' + m.records + ')'));
  });
  select.addEventListener('change', function () {
    show(Number(select.value));
  });
  document.getElementById('summary').textContent =
    data.records +
    ' record(s) on ' +
    data.machines.length +
    ' machine(s)' +
    (data.unreadable ? ', ' + data.unreadable + ' unreadable' : '') +
    '; generated ' +
    data.generatedAt +
    '.';
  show(0);
})();
