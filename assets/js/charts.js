// Charts of the usage and cost pages, drawn with Chart.js from the data the server put in
// data-* attributes (no inline script: the CSP forbids it).
"use strict";

(() => {
  if (typeof Chart === "undefined") {
    return;
  }
  const BLUES = ["#1d4ed8", "#60a5fa", "#1e3a8a", "#93c5fd", "#2563eb", "#3b82f6"];
  const REDS = ["#dc2626", "#f87171", "#991b1b", "#fca5a5", "#b91c1c", "#ef4444"];
  const PALETTE = ["#1d4ed8", "#059669", "#d97706", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#dc2626", "#4b5563", "#ca8a04"];
  const colour = (i) => PALETTE[i % PALETTE.length];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  const unique = (values) => [...new Set(values)].sort();

  function line(canvas, labels, datasets, options = {}) {
    return new Chart(canvas, {
      type: "line",
      data: { labels, datasets },
      options: Object.assign({
        interaction: { mode: "index", intersect: false },
        elements: { point: { radius: labels.length > 60 ? 0 : 2 } },
        scales: { y: { beginAtZero: true } },
      }, options),
    });
  }

  const usage = document.getElementById("usage-charts");
  if (usage) {
    const data = JSON.parse(usage.dataset.usage);
    const times = unique([...data.cores.map((p) => p.time), ...data.series.flatMap((s) => s.points.map((p) => p.time))]);
    const at = (points, key) => {
      const byTime = new Map(points.map((p) => [p.time, p[key]]));
      return times.map((t) => (byTime.has(t) ? byTime.get(t) : null));
    };

    const setups = unique(data.cores.map((p) => p.setup));
    line(document.getElementById("chart-setups"), times, setups.map((setup, i) => ({
      label: setup,
      data: at(data.cores.filter((p) => p.setup === setup), "mean_cores"),
      borderColor: colour(i),
      backgroundColor: colour(i),
    })));

    const cores = data.series.filter((s) => s.metric === "cores");
    const services = unique(cores.map((s) => s.service));
    line(document.getElementById("chart-services"), times, services.map((service, i) => {
      const sums = times.map(() => 0);
      cores.filter((s) => s.service === service).forEach((s) => {
        at(s.points, "mean").forEach((v, j) => { sums[j] += v || 0; });
      });
      return { label: service, data: sums, fill: true, borderColor: colour(i), backgroundColor: colour(i) + "99" };
    }), { scales: { y: { stacked: true, beginAtZero: true } } });

    const days = unique(data.cores.map((p) => p.time.slice(0, 10)));
    const peaks = days.map((day) => {
      const bySetup = new Map();
      data.cores.filter((p) => p.time.startsWith(day)).forEach((p) => {
        bySetup.set(p.setup, Math.max(bySetup.get(p.setup) || 0, p.peak_cores));
      });
      return [...bySetup.values()].reduce((a, b) => a + b, 0);
    });
    new Chart(document.getElementById("chart-peaks"), {
      data: {
        labels: days,
        datasets: [
          { type: "bar", label: "Daily peak (cores)", data: peaks, backgroundColor: BLUES[1] },
          { type: "line", label: "Prepaid cores", data: days.map(() => data.prepaid), borderColor: REDS[0],
            borderDash: [6, 4], pointRadius: 0 },
        ],
      },
      options: { scales: { y: { beginAtZero: true } } },
    });

    document.querySelectorAll("canvas.chart-metric").forEach((canvas) => {
      const series = data.series.filter((s) => s.metric === canvas.dataset.metric);
      line(canvas, times, series.map((s, i) => ({
        label: s.setup + " · " + s.service,
        data: at(s.points, "mean"),
        borderColor: colour(i),
        backgroundColor: colour(i),
      })));
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
        scales: { x: { stacked: true, title: { display: true, text: "Day" } }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "Cores" } } },
      },
    });
  }
})();
