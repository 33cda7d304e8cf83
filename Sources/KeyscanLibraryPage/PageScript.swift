/// The page's script: reads the embedded data once, draws the wheel and the strips as SVG
/// and HTML of its own, and keeps the table in step with the sort, the filters and the
/// notation. Rows are rendered 200 at a time as the table scrolls into view, so a library of
/// 20,000 tracks shows at once.
enum PageScript {
    static let js = #"""
    "use strict";
    (function () {
      const data = JSON.parse(document.getElementById("library-data").textContent);
      const MOVES = ["same key", "+1", "-1", "relative", "energy +2", "energy +7"];
      const LOW_CONFIDENCE = 700;   // ‰: below 0.7, about one answer in six was the relative key
      const OFF_TUNE = 200;         // 0.1 cent: 20 cents, the mix warning's threshold
      const CHUNK = 200;            // rows rendered at a time
      const NAMES = {
        major: ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"],
        minor: ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"],
      };

      // Keys are class indices: 0…11 are 1A…12A (minor), 12…23 are 1B…12B (major).
      const number = (k) => k % 12 + 1;
      const isMinor = (k) => k < 12;
      const tonic = (k) => (((isMinor(k) ? 9 : 0) + 7 * (number(k) - 8)) % 12 + 24) % 12;
      function keyText(k, notation) {
        if (notation === "openkey") return ((number(k) + 4) % 12 + 1) + (isMinor(k) ? "m" : "d");
        if (notation === "standard") return NAMES[isMinor(k) ? "minor" : "major"][tonic(k)] + (isMinor(k) ? "m" : "");
        return number(k) + (isMinor(k) ? "A" : "B");
      }
      const fullName = (k) => NAMES[isMinor(k) ? "minor" : "major"][tonic(k)] + (isMinor(k) ? " minor" : " major");
      // The Camelot colours: hue turns 30° a step from 1's turquoise; minor deeper, major lighter.
      function colour(k) {
        const hue = (165 - (number(k) - 1) * 30 + 360) % 360;
        return isMinor(k) ? `hsl(${hue},68%,60%)` : `hsl(${hue},72%,78%)`;
      }
      // Same key, ±1 and relative: what mixes harmonically with k.
      const compatibleKeys = (k) => {
        const base = isMinor(k) ? 0 : 12, n = k % 12;
        return [k, base + (n + 1) % 12, base + (n + 11) % 12, (k + 12) % 24];
      };
      function clock(tenths) {
        const s = Math.floor(tenths / 10), h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = String(s % 60).padStart(2, "0");
        return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
      }
      const escape = (s) => s.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

      const tracks = data.tracks.map((t, i) => {
        const segments = [];
        if (t[6].length === 0) segments.push({ start: 0, end: t[5], key: t[2], confidence: t[3] });
        for (let j = 0; j < t[6].length; j += 3) {
          segments.push({ start: j === 0 ? 0 : t[6][j - 3], end: t[6][j], key: t[6][j + 1], confidence: t[6][j + 2] });
        }
        return { index: i, folder: data.folders[t[0]], name: t[1], key: t[2], confidence: t[3], tuning: t[4],
                 duration: t[5], segments, mixes: t[7], search: (data.folders[t[0]] + "/" + t[1]).toLowerCase() };
      });

      const state = { sort: "name", direction: 1, text: "", key: null, compatible: false, notation: "camelot", shown: 0, open: new Set() };
      try { state.notation = localStorage.getItem("keyscan-notation") || "camelot"; } catch (e) { /* storage may be off for file:// */ }
      let visible = [];

      const $ = (id) => document.getElementById(id);
      const tbody = document.querySelector("#tracks tbody");

      // --- the wheel: 24 arcs, minor inside, major outside, 12 at the top ----------------
      function arc(r0, r1, a0, a1) {
        const p = (r, a) => `${(r * Math.sin(a)).toFixed(2)},${(-r * Math.cos(a)).toFixed(2)}`;
        return `M${p(r1, a0)}A${r1},${r1} 0 0 1 ${p(r1, a1)}L${p(r0, a1)}A${r0},${r0} 0 0 0 ${p(r0, a0)}Z`;
      }
      const counts = new Array(24).fill(0);
      for (const t of tracks) counts[t.key] += 1;
      function drawWheel() {
        const selected = state.key === null ? [] : state.compatible ? compatibleKeys(state.key) : [state.key];
        let svg = "";
        for (let k = 0; k < 24; k++) {
          const angle = (number(k) % 12) * Math.PI / 6, half = Math.PI / 12;
          const [r0, r1] = isMinor(k) ? [34, 64] : [64, 97];
          const mid = (r0 + r1) / 2;
          const x = (mid * Math.sin(angle)).toFixed(2), y = (-mid * Math.cos(angle)).toFixed(2);
          const classes = ["sector", counts[k] === 0 ? "empty" : "", k === state.key ? "selected" : selected.includes(k) ? "compatible" : ""].join(" ");
          svg += `<g class="${classes}" data-key="${k}" data-count="${counts[k]}"><title>${fullName(k)}: ${counts[k]} tracks</title>` +
            `<path d="${arc(r0, r1, angle - half, angle + half)}" fill="${colour(k)}"/>` +
            `<text class="k" x="${x}" y="${(+y - 4).toFixed(2)}">${keyText(k, state.notation)}</text>` +
            `<text class="n" x="${x}" y="${(+y + 4.5).toFixed(2)}">${counts[k]}</text></g>`;
        }
        svg += `<text class="total" x="0" y="-3">${tracks.length}</text><text class="caption" x="0" y="7">tracks</text>`;
        $("wheel").innerHTML = svg;
        $("key-filter").hidden = state.key === null;
        if (state.key !== null) {
          $("key-filter-text").textContent = state.compatible
            ? `${compatibleKeys(state.key).map((k) => keyText(k, state.notation)).join(", ")}`
            : `${keyText(state.key, state.notation)} (${fullName(state.key)})`;
        }
      }

      // --- the table ---------------------------------------------------------------------
      const sorters = {
        name: (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.index - b.index),
        key: (a, b) => (number(a.key) - number(b.key)) || (a.key - b.key) || a.index - b.index,
        confidence: (a, b) => a.confidence - b.confidence || a.index - b.index,
        tuning: (a, b) => Math.abs(a.tuning ?? 0) - Math.abs(b.tuning ?? 0) || a.index - b.index,
        changes: (a, b) => a.segments.length - b.segments.length || a.index - b.index,
        duration: (a, b) => a.duration - b.duration || a.index - b.index,
      };
      function update() {
        const text = state.text.trim().toLowerCase();
        const keys = state.key === null ? null : new Set(state.compatible ? compatibleKeys(state.key) : [state.key]);
        visible = tracks.filter((t) => (keys === null || keys.has(t.key)) && (text === "" || t.search.includes(text)));
        const sorter = sorters[state.sort];
        visible.sort((a, b) => state.direction * sorter(a, b));
        for (const th of document.querySelectorAll("th[data-sort]")) {
          th.classList.toggle("sorted-up", th.dataset.sort === state.sort && state.direction === 1);
          th.classList.toggle("sorted-down", th.dataset.sort === state.sort && state.direction === -1);
        }
        state.shown = 0;
        tbody.innerHTML = "";
        showMore();
      }
      function showMore() {
        const next = visible.slice(state.shown, state.shown + CHUNK);
        tbody.insertAdjacentHTML("beforeend", next.map(row).join(""));
        state.shown += next.length;
        $("showing").textContent = `${visible.length} of ${tracks.length} tracks` + (state.shown < visible.length ? ` (first ${state.shown} shown; scroll for more)` : "");
      }
      function strip(t, big) {
        return `<div class="strip${big ? " big" : ""}">` + t.segments.map((s, j) => {
          const width = t.duration > 0 ? (100 * (s.end - s.start) / t.duration).toFixed(2) : 100 / t.segments.length;
          const label = `${clock(s.start)}–${clock(s.end)} ${keyText(s.key, state.notation)} (${fullName(s.key)}, ${(s.confidence / 1000).toFixed(2)})`;
          return `<span data-key="${s.key}" data-segment="${j}" style="width:${width}%;background:${colour(s.key)}" title="${label}">${big ? keyText(s.key, state.notation) : ""}</span>`;
        }).join("") + "</div>";
      }
      function row(t) {
        const cents = t.tuning === null ? null : Math.round(t.tuning / 10) || 0;  // never "-0"
        const tuning = cents === null ? "" : (cents > 0 ? "+" : "") + cents;
        const offTune = t.tuning !== null && Math.abs(t.tuning) > OFF_TUNE;
        return `<tr class="track${state.open.has(t.index) ? " open" : ""}" data-index="${t.index}" data-key="${t.key}">` +
          `<td class="name" title="${escape(t.folder + "/" + t.name)}">${escape(t.name)}</td>` +
          `<td><span class="chip" style="background:${colour(t.key)}">${keyText(t.key, state.notation)}</span></td>` +
          `<td class="num${t.confidence < LOW_CONFIDENCE ? " low" : ""}" title="${t.confidence < LOW_CONFIDENCE ? "low confidence: the key may be wrong" : "confidence"}">${(t.confidence / 1000).toFixed(2)}</td>` +
          `<td class="num${offTune ? " off" : ""}" title="${offTune ? "tuned more than 20 cents off 440 Hz" : "cents from A4 = 440 Hz"}">${tuning}</td>` +
          `<td class="num hide-narrow">${t.segments.length - 1}</td>` +
          `<td class="num hide-narrow">${clock(t.duration)}</td>` +
          `<td class="timeline">${strip(t, false)}</td></tr>` +
          (state.open.has(t.index) ? details(t) : "");
      }
      function details(t) {
        const last = t.segments[t.segments.length - 1].key;
        let mixes = "";
        for (let j = 0; j < t.mixes.length; j += 3) {
          const other = tracks[t.mixes[j]], code = t.mixes[j + 1], heard = t.mixes[j + 2], move = code & 7;
          const first = other.segments[0].key;
          mixes += `<li data-move="${MOVES[move]}" data-from-key="${last}" data-to-key="${heard}" data-to-index="${other.index}">` +
            `${escape(other.name)} <span class="chip" style="background:${colour(first)}">${keyText(first, state.notation)}</span>` +
            (heard !== first ? ` <span class="warn">sounds as ${keyText(heard, state.notation)}</span>` : "") +
            `<span class="move${move >= 4 ? " energy" : ""}">${MOVES[move]}</span>` +
            (code & 8 ? `<span class="warn">tuning ${(((other.tuning ?? 0) - (t.tuning ?? 0)) / 10).toFixed(0)} cents apart</span>` : "") +
            (code & 16 ? `<span class="warn">low confidence</span>` : "") + "</li>";
        }
        const segmentList = t.segments.map((s) => `${clock(s.start)}–${clock(s.end)} ${keyText(s.key, state.notation)}`).join(" · ");
        return `<tr class="details" data-index="${t.index}"><td colspan="7"><p class="path">${escape(t.folder + "/" + t.name)}</p>` +
          strip(t, true) + `<p class="seg-info">${segmentList}</p>` +
          `<strong>Mixes into</strong> <small>(from its last key, ${keyText(last, state.notation)})</small>` +
          (mixes ? `<ol class="mixes">${mixes}</ol>` : `<p>No compatible track in this library.</p>`) + "</td></tr>";
      }

      // --- failed and keyless files -----------------------------------------------------
      function problems() {
        const list = (items, cls) => `<ul class="${cls}">` + items.map(([path, code, message]) =>
          `<li><code>${escape(code)}</code> ${message.includes(path) ? "" : escape(path) + ": "}${escape(message)}</li>`).join("") + "</ul>";
        let html = "";
        if (data.failed.length) html += `<h2 id="failed-title">Failed (${data.failed.length})</h2>` + list(data.failed, "failed");
        if (data.nokey.length) html += `<h2>No key (${data.nokey.length})</h2>` + list(data.nokey, "nokey");
        $("problems").innerHTML = html;
      }

      // --- events ----------------------------------------------------------------------
      $("wheel").addEventListener("click", (event) => {
        const sector = event.target.closest(".sector");
        if (!sector) return;
        const k = Number(sector.dataset.key);
        state.key = state.key === k ? null : k;
        drawWheel();
        update();
      });
      $("compatible").addEventListener("change", (event) => { state.compatible = event.target.checked; drawWheel(); update(); });
      $("clear-key").addEventListener("click", () => { state.key = null; drawWheel(); update(); });
      let typing = 0;
      $("filter").addEventListener("input", (event) => {
        clearTimeout(typing);
        typing = setTimeout(() => { state.text = event.target.value; update(); }, tracks.length > 2000 ? 150 : 0);
      });
      $("notation").value = state.notation;
      $("notation").addEventListener("change", (event) => {
        state.notation = event.target.value;
        try { localStorage.setItem("keyscan-notation", state.notation); } catch (e) { /* not kept */ }
        drawWheel();
        const shown = state.shown;
        update();
        while (state.shown < Math.min(shown, visible.length)) showMore();
      });
      document.querySelector("#tracks thead").addEventListener("click", (event) => {
        const th = event.target.closest("th[data-sort]");
        if (!th) return;
        state.direction = state.sort === th.dataset.sort ? -state.direction : 1;
        state.sort = th.dataset.sort;
        update();
      });
      tbody.addEventListener("click", (event) => {
        const segment = event.target.closest(".strip.big span");
        if (segment) { segment.closest("td").querySelector(".seg-info").textContent = segment.title; return; }
        const tr = event.target.closest("tr.track");
        if (!tr) return;
        const index = Number(tr.dataset.index);
        if (state.open.has(index)) {
          state.open.delete(index);
          tr.classList.remove("open");
          tr.nextElementSibling?.classList.contains("details") && tr.nextElementSibling.remove();
        } else {
          state.open.add(index);
          tr.classList.add("open");
          tr.insertAdjacentHTML("afterend", details(tracks[index]));
        }
      });
      new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting) && state.shown < visible.length) showMore();
      }, { rootMargin: "600px" }).observe($("more"));

      const changes = tracks.filter((t) => t.segments.length > 1).length;
      $("summary").textContent = `${tracks.length} tracks with a key · ${changes} with key changes · ` +
        `${data.nokey.length} without a key · ${data.failed.length} failed`;
      drawWheel();
      update();
      problems();
      // For the browser tests and the benchmark: when the first rows and the wheel are on screen.
      requestAnimationFrame(() => setTimeout(() => { window.keyscanRenderedMs = performance.now(); }, 0));
    })();
    """#
}
