/// The page's stylesheet: a wheel beside the table on a laptop, above it on a phone.
enum PageStyle {
    static let css = #"""
    :root { --ink: #1d2330; --muted: #5d6678; --line: #dfe3ea; --panel: #f6f7fa; --low: #b25400; --accent: #2456c7; }
    * { box-sizing: border-box; }
    body { margin: 0; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--ink); background: #fff; }
    header { padding: 12px 20px 8px; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; align-items: baseline; gap: 6px 18px; }
    h1 { font-size: 20px; margin: 0; }
    h2 { font-size: 16px; margin: 18px 0 6px; }
    #summary { margin: 0; color: var(--muted); flex: 1 1 auto; }
    .controls { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
    select, input[type=search], button { font: inherit; padding: 4px 8px; border: 1px solid #c3c9d4; border-radius: 6px; background: #fff; }
    input[type=search] { width: 16em; max-width: 60vw; }
    button { cursor: pointer; }
    main { display: grid; grid-template-columns: minmax(280px, 360px) 1fr; grid-template-areas: "wheel table" "problems problems"; gap: 0 24px; padding: 12px 20px 40px; }
    #wheel-panel { grid-area: wheel; position: sticky; top: 8px; align-self: start; }
    #table-panel { grid-area: table; min-width: 0; }
    #problems { grid-area: problems; }
    #wheel { width: 100%; height: auto; display: block; user-select: none; }
    #wheel .sector { cursor: pointer; }
    #wheel .sector path { stroke: #fff; stroke-width: 0.8; }
    #wheel .sector.empty path { opacity: 0.35; }
    #wheel .sector.compatible path { stroke: var(--ink); stroke-width: 1.2; stroke-dasharray: 2 1.5; }
    #wheel .sector.selected path { stroke: var(--ink); stroke-width: 2.2; stroke-dasharray: none; }
    #wheel .sector:hover path { filter: brightness(0.93); }
    #wheel text { text-anchor: middle; dominant-baseline: middle; pointer-events: none; fill: #1a1f2b; }
    #wheel text.k { font-size: 7px; font-weight: 600; }
    #wheel text.n { font-size: 6px; }
    #wheel text.total { font-size: 9px; font-weight: 600; }
    #wheel text.caption { font-size: 6px; fill: var(--muted); }
    #key-filter { margin: 6px 0 0; padding: 8px 10px; background: var(--panel); border-radius: 8px; display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; }
    #key-filter[hidden] { display: none; }
    #key-filter-text { font-weight: 600; }
    #showing { color: var(--muted); margin: 4px 0 6px; }
    table { border-collapse: collapse; width: 100%; }
    th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: middle; }
    th { position: sticky; top: 0; background: #fff; z-index: 1; font-weight: 600; white-space: nowrap; }
    th[data-sort] { cursor: pointer; }
    th[data-sort]:hover { color: var(--accent); }
    th.sorted-up::after { content: " ▲"; font-size: 10px; }
    th.sorted-down::after { content: " ▼"; font-size: 10px; }
    tbody tr.track { cursor: pointer; -webkit-tap-highlight-color: transparent; }
    tbody tr.track:hover { background: #f3f6fc; }
    tbody tr.track.open { background: #eef3fd; }
    td.name { max-width: 24em; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
    .chip { display: inline-block; min-width: 2.6em; padding: 1px 6px; border-radius: 10px; text-align: center; font-weight: 600; font-size: 13px; color: #1a1f2b; }
    .low { color: var(--low); font-weight: 600; }
    .low::after { content: " ?"; }
    .off { color: #8a2be2; font-weight: 600; }
    td.timeline { width: 28%; min-width: 110px; }
    .strip { display: flex; height: 14px; border-radius: 4px; overflow: hidden; background: #eee; }
    .strip span { display: block; height: 100%; border-right: 1px solid #fff; }
    .strip span:last-child { border-right: 0; }
    .strip.big { height: 30px; }
    .strip.big span { display: flex; align-items: center; justify-content: center; font-size: 12px; font-weight: 600; overflow: hidden; cursor: pointer; }
    tr.details td { background: var(--panel); padding: 10px 12px 14px; }
    .details .path { color: var(--muted); word-break: break-all; margin: 0 0 8px; }
    .details .seg-info { min-height: 1.4em; margin: 4px 0 8px; color: var(--muted); }
    .details ol { margin: 4px 0 0; padding-left: 22px; }
    .details li { margin: 2px 0; }
    .move { display: inline-block; padding: 0 6px; border-radius: 8px; background: #e3e8f2; font-size: 12px; margin-left: 4px; }
    .move.energy { background: #ffe1c2; }
    .warn { color: var(--low); font-size: 12px; margin-left: 4px; }
    #more { height: 1px; }
    #problems ul { padding-left: 20px; margin: 4px 0; }
    #problems li { margin: 3px 0; word-break: break-all; }
    #problems code { background: #fde8e8; color: #9b1c1c; padding: 0 4px; border-radius: 4px; }
    #problems .nokey code { background: #eceff4; color: var(--muted); }
    @media (max-width: 760px) {
      header { padding: 10px 12px 6px; }
      main { grid-template-columns: 1fr; grid-template-areas: "wheel" "table" "problems"; padding: 8px 10px 30px; }
      #wheel-panel { position: static; max-width: 360px; margin: 0 auto; width: 100%; }
      th, td { padding: 5px 4px; }
      .hide-narrow { display: none; }
      td.name { max-width: 9em; }
      td.timeline { width: 24%; min-width: 60px; }
      input[type=search] { width: 100%; max-width: none; }
      .controls { width: 100%; }
    }
    """#
}
