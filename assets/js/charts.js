// Charts of the usage and cost pages, drawn with Chart.js from the data the server put in
// data-* attributes (no inline script: the CSP forbids it).
"use strict";

(() => {
  if (typeof Chart === "undefined") {
    return;
  }
  const BLUES = ["#1d4ed8", "#60a5fa", "#1e3a8a", "#93c5fd", "#2563eb", "#3b82f6"];
  const REDS = ["#dc2626", "#f87171", "#991b1b", "#fca5a5", "#b91c1c", "#ef4444"];
  const PALETTE = ["#1d4ed8", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#b45309", "#4338ca", "#0f766e"];
  const GREYS = ["#6b7280", "#9ca3af", "#4b5563", "#374151"];
  const PREPAID_LINE = "#111827";
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  // Times come as UTC buckets (2026-10-01T14:00:00Z, 2026-10-01 or 2026-10) and read as such.
  const utc = (options) => new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: "UTC" }, options));
  const dayMonth = utc({ day: "numeric", month: "short" });
  const monthYear = utc({ month: "short", year: "numeric" });
  const longDay = utc({ weekday: "short", day: "numeric", month: "short", year: "numeric" });
  const longMonth = utc({ month: "long", year: "numeric" });
  const clock = utc({ hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  const parse = (label) => new Date(label.length === 7 ? label + "-01" : label);

  // How each resolution reads on an axis and in a tooltip, and the steps its ticks may take
  // (in buckets): a tick every step, chosen so that ticks never crowd.
  const TIMES = {
    hour: {
      tick: (d) => (d.getUTCHours() === 0 ? dayMonth.format(d) : clock.format(d)),
      title: (d) => `${longDay.format(d)}, ${clock.format(d)} UTC`,
      steps: [1, 2, 3, 6, 12, 24, 48, 72, 168],
      axis: "Time (UTC)",
    },
    day: {
      tick: (d) => dayMonth.format(d),
      title: (d) => longDay.format(d),
      steps: [1, 2, 7, 14, 28, 56, 91, 182],
      axis: "Day (UTC)",
    },
    month: {
      tick: (d) => monthYear.format(d),
      title: (d) => longMonth.format(d),
      steps: [1, 2, 3, 6, 12],
      axis: "Month",
    },
  };

  // timeAxis formats a category axis of time buckets for people: no rotated ISO stamps, and only
  // as many ticks as fit, on round hours (midnight shows the date) or on the first day.
  function timeAxis(resolution, labels) {
    const kind = TIMES[resolution];
    const first = labels.length ? parse(labels[0]) : null;
    return {
      ticks: {
        maxRotation: 0,
        autoSkip: false,
        callback(value) {
          return kind.tick(parse(this.getLabelForValue(value)));
        },
      },
      afterBuildTicks(scale) {
        const room = Math.max(2, Math.floor((scale.chart.width || 600) / 72));
        const step = kind.steps.find((s) => labels.length / s <= room) || kind.steps[kind.steps.length - 1];
        // Hours line up on the clock (every 6 h: 00, 06, 12, 18), other buckets count from the first.
        const offset = resolution === "hour" && first ? (step - (first.getUTCHours() % step)) % step : 0;
        scale.ticks = scale.ticks.filter((t) => (t.value - offset) % step === 0 && t.value >= offset);
      },
      title: { display: true, text: kind.axis },
    };
  }

  const tooltipTitle = (resolution) => (items) => (items.length ? TIMES[resolution].title(parse(items[0].label)) : "");

  function hatch(colour) {
    const tile = document.createElement("canvas");
    tile.width = tile.height = 8;
    const g = tile.getContext("2d");
    g.fillStyle = "#f3f4f6";
    g.fillRect(0, 0, 8, 8);
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    g.moveTo(0, 8);
    g.lineTo(8, 0);
    g.moveTo(-2, 2);
    g.lineTo(2, -2);
    g.moveTo(6, 10);
    g.lineTo(10, 6);
    g.stroke();
    return g.createPattern(tile, "repeat");
  }

  function lineChart(canvas, data, datasets, yTitle, extra = {}) {
    return new Chart(canvas, {
      type: "line",
      data: { labels: data.times, datasets },
      options: {
        interaction: { mode: "index", intersect: false },
        elements: { point: { radius: data.times.length > 60 ? 0 : 2 } },
        spanGaps: false,
        scales: {
          x: timeAxis(data.resolution, data.times),
          y: Object.assign({ beginAtZero: true, title: { display: true, text: yTitle } }, extra.y || {}),
        },
        plugins: { tooltip: { callbacks: { title: tooltipTitle(data.resolution) } } },
      },
    });
  }

  const usage = document.getElementById("usage-charts");
  if (usage) {
    const data = JSON.parse(usage.dataset.usage);
    const billed = data.services.filter((s) => s.billed).length;
    // A service keeps its colour in every chart and in every legend: billed services in colours,
    // the others in greys, hatched where they fill an area and dashed where they draw a line.
    const services = data.services.map((s, i) => {
      const colour = s.billed ? PALETTE[i % PALETTE.length] : GREYS[(i - billed) % GREYS.length];
      return {
        label: s.billed ? s.name : `${s.name} (not billed)`,
        line: { borderColor: colour, backgroundColor: s.billed ? colour : hatch(colour), borderDash: s.billed ? [] : [5, 4] },
        area: { borderColor: colour, backgroundColor: s.billed ? colour : hatch(colour) },
      };
    });
    const metric = (code) => data.metrics.find((m) => m.code === code);

    lineChart(document.getElementById("chart-setups"), data, data.setups.map((s, i) => ({
      label: s.name,
      data: s.values,
      borderColor: PALETTE[i % PALETTE.length],
      backgroundColor: PALETTE[i % PALETTE.length],
    })), "Cores");

    const cores = metric("cores");
    if (cores) {
      lineChart(document.getElementById("chart-services"), data, cores.series.map((s, i) => Object.assign({
        label: services[s.service].label,
        data: s.values,
        fill: i === 0 ? "origin" : "-1",
        pointRadius: 0,
        borderWidth: 1,
      }, services[s.service].area)), cores.title, { y: { stacked: true } });
    }

    document.querySelectorAll("canvas.chart-metric").forEach((canvas) => {
      const m = metric(canvas.dataset.metric);
      if (m) {
        lineChart(canvas, data, m.series.map((s) => Object.assign({ label: services[s.service].label, data: s.values },
          services[s.service].line)), m.title);
      }
    });

    peaksChart(document.getElementById("chart-peaks"), data.peaks);
  }

  // peaksChart draws each day's peak as a bar, blue within the prepaid cores and red on days with
  // extra cores, and the prepaid cores as a line across the whole plot, with room above it.
  function peaksChart(canvas, p) {
    const resolution = p.by_month ? "month" : "day";
    const within = p.peaks.map((v, i) => (p.extra[i] > 0 ? null : v));
    const over = p.peaks.map((v, i) => (p.extra[i] > 0 ? v : null));
    const top = Math.max(p.prepaid, ...p.peaks.filter((v) => v !== null));
    const unit = p.by_month ? "Months" : "Days";
    new Chart(canvas, {
      data: {
        labels: p.labels,
        datasets: [
          { type: "bar", label: `${unit} within the prepaid cores`, data: within, backgroundColor: BLUES[0], grouped: false },
          { type: "bar", label: `${unit} with extra cores`, data: over, backgroundColor: REDS[0], grouped: false },
          // On a hidden axis from 0 to 1 the line runs from the plot's left edge to its right edge.
          { type: "line", label: `Prepaid cores (${p.prepaid})`, data: [{ x: 0, y: p.prepaid }, { x: 1, y: p.prepaid }],
            xAxisID: "span", borderColor: PREPAID_LINE, backgroundColor: PREPAID_LINE, borderWidth: 2, pointRadius: 0,
            pointHitRadius: 0 },
        ],
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: timeAxis(resolution, p.labels),
          span: { type: "linear", min: 0, max: 1, display: false },
          y: { beginAtZero: true, suggestedMax: top * 1.15 || 1, title: { display: true, text: "Cores" } },
        },
        plugins: {
          tooltip: {
            filter: (item) => item.dataset.type === "bar",
            callbacks: {
              title: tooltipTitle(resolution),
              label: (item) => `Peak: ${item.formattedValue} cores`,
              footer: (items) => (items.length ? [`Prepaid cores: ${p.prepaid}`,
                `Extra cores${p.by_month ? " (core-days)" : ""}: ${p.extra[items[0].dataIndex]}`] : []),
            },
          },
        },
      },
    });
  }

  const cost = document.getElementById("cost-chart");
  if (cost) {
    const data = JSON.parse(cost.dataset.cost);
    let prepaid = 0;
    let extra = 0;
    new Chart(document.getElementById("chart-cost"), {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.datasets.map((d) => ({
          label: d.label,
          data: d.data,
          stack: "cores",
          backgroundColor: d.kind === "prepaid" ? BLUES[prepaid++ % BLUES.length] : REDS[extra++ % REDS.length],
        })),
      },
      options: {
        interaction: { mode: "index", intersect: false },
        scales: {
          x: { stacked: true, ticks: { maxRotation: 0 }, title: { display: true, text: "Day" } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: "Cores" } },
        },
      },
    });
  }
})();
