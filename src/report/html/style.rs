//! The page's only style sheet, inline (the CSP allows inline styles and nothing else).
//! Okabe–Ito colours; dark mode by `prefers-color-scheme`; print shows every `<details>`.

pub const CSS: &str = r#"
:root{--fg:#1a1a1a;--bg:#fff;--mute:#595959;--line:#c8c8c8;--card:#f6f6f6;
--base:#0072B2;--serv:#D55E00;--alert:#D55E00;--warn:#E69F00;--info:#56B4E9;--ok:#009E73;--grid:#e4e4e4}
@media (prefers-color-scheme: dark){:root{--fg:#ececec;--bg:#15171a;--mute:#a8a8a8;--line:#4a4d52;
--card:#202329;--base:#56B4E9;--serv:#E69F00;--alert:#E69F00;--warn:#F0E442;--info:#56B4E9;--ok:#009E73;--grid:#33363b}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif}
header,main,nav{max-width:1100px;margin:0 auto;padding:0 1.2rem}
header{padding-top:1rem}
h1{font-size:1.6rem;margin:.4rem 0}
h2{font-size:1.3rem;border-bottom:1px solid var(--line);padding-bottom:.2rem;margin-top:2rem}
h3{font-size:1.08rem;margin:.2rem 0 .4rem}
.mute{color:var(--mute)}
nav ol{columns:2;margin:.3rem 0}
a{color:var(--base)}
.sev{font-weight:700;white-space:nowrap}
.sev.alert{color:var(--alert)}.sev.warn{color:var(--warn)}.sev.info{color:var(--info)}
.sev.ok,.sev.pass{color:var(--ok)}.sev.insufficient{color:var(--mute)}
@media (prefers-color-scheme: light){.sev.warn{color:#9a6700}}
.card{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--line);border-radius:6px;padding:.7rem 1rem;margin:1rem 0;break-inside:avoid}
.card.alert{border-left-color:var(--alert)}.card.warn{border-left-color:var(--warn)}
.charts{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-start}
figure{margin:.3rem 0}
figcaption{font-size:.85rem;color:var(--mute)}
svg{max-width:100%;height:auto;overflow:visible}
svg text{fill:var(--fg);font-size:11px;font-family:system-ui,"DejaVu Sans",sans-serif}
svg .axis{stroke:var(--mute);stroke-width:1}
svg .grid{stroke:var(--grid);stroke-width:1}
svg .base{fill:none;stroke:var(--base);stroke-width:1.5}
svg .basef{fill:var(--base);fill-opacity:.25;stroke:var(--base);stroke-width:1}
svg .serv{fill:var(--serv);fill-opacity:.85;stroke:var(--serv)}
svg .servl{fill:none;stroke:var(--serv);stroke-width:2}
svg .warnl{stroke:var(--warn);stroke-width:1.5;stroke-dasharray:5 3}
svg .alertl{stroke:var(--alert);stroke-width:1.5;stroke-dasharray:2 2}
svg .zero{stroke:var(--mute);stroke-width:1}
svg .pt{fill:var(--fg)}
svg .now{fill:var(--serv);stroke:var(--fg);stroke-width:1}
svg .hl{font-weight:700}
table{border-collapse:collapse;margin:.4rem 0;font-size:.88rem}
th,td{border-bottom:1px solid var(--line);padding:.2rem .5rem;text-align:left;vertical-align:top}
@media screen and (max-width:600px){th,td{overflow-wrap:anywhere}}
td.n,th.n,table.all td:nth-child(n+6):nth-child(-n+9){text-align:right;font-variant-numeric:tabular-nums}
td.d{white-space:nowrap}
ul.changes{margin:0;padding-left:1.1rem}
details{margin:.3rem 0}
summary{cursor:pointer;color:var(--mute)}
.wide{overflow-x:auto}
.legend{font-size:.82rem;color:var(--mute)}
.sw{display:inline-block;width:.9em;height:.9em;vertical-align:-.1em;margin:0 .25em 0 .6em;border:2px solid var(--base)}
.sw.s{background:var(--serv);border-color:var(--serv)}
@media print{body{font-size:11pt;background:#fff;color:#000}nav{display:none}
details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none}.card{break-inside:avoid}.wide{overflow:visible}a{color:inherit}}
"#;
