"""The page ``lstmlab inspect`` writes: one self-contained HTML file (no server, no network).

It shows the text coloured by one cell (red above zero, blue below), a selector over the cells
that track each feature best, the model's five likeliest next words with their probabilities
under each word, the gate-saturation scatter pictures (matplotlib, embedded as PNG) and the
comparison with the n-gram model by kind of word. The data rides in the page as JSON.
"""

from __future__ import annotations

import base64
import html
import io
import json
from typing import Any

from lstmlab.models.inspection import GATES

GATE_NAMES = {"i": "input gate i", "f": "forget gate f", "g": "candidate g (tanh, mapped to [0, 1])",
              "o": "output gate o"}


def saturation_picture(saturation: dict[str, dict[str, list[float]]]) -> bytes:
    """PNG bytes: per gate a scatter of each unit's left-saturated fraction (x) against its
    right-saturated fraction (y), as in Karpathy, Johnson & Fei-Fei (2015)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(1, len(GATES), figsize=(13, 3.4), sharex=True, sharey=True)
    for axis, gate in zip(axes, GATES):
        axis.scatter(saturation[gate]["left"], saturation[gate]["right"], s=10, alpha=0.6)
        axis.plot([0, 1], [1, 0], color="grey", linewidth=0.6)
        axis.set_xlim(0, 1)
        axis.set_ylim(0, 1)
        axis.set_title(GATE_NAMES[gate], fontsize=9)
        axis.set_xlabel("fraction of steps < 0.1")
    axes[0].set_ylabel("fraction of steps > 0.9")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    pyplot.close(figure)
    return buffer.getvalue()


STYLE = """
body { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; margin: 1.5em; color: #222; max-width: 1200px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
table { border-collapse: collapse; font-size: 0.9em; } td, th { padding: 2px 8px; border-bottom: 1px solid #ddd; }
.cell { cursor: pointer; color: #1a5fb4; } .controls { margin: 0.8em 0; }
#text { line-height: 1.2; } .word { display: inline-block; vertical-align: top; margin: 0 2px 10px 0; min-width: 5.6em; }
.token { padding: 1px 3px; border-radius: 2px; font-size: 1.15em; }
.guesses { font-size: 0.62em; color: #666; line-height: 1.2; white-space: pre; max-width: 7em; overflow: hidden; }
.hidden { display: none; } .note { color: #666; font-size: 0.9em; }
"""

SCRIPT = """
const data = JSON.parse(document.getElementById("data").textContent);
const text = document.getElementById("text");
const select = document.getElementById("cell");
const showGuesses = document.getElementById("guesses");
function colour(value) {
  const v = Math.max(-1, Math.min(1, Math.tanh(value)));
  const strength = Math.round(255 * (1 - Math.abs(v)));
  return v >= 0 ? `rgb(255, ${strength}, ${strength})` : `rgb(${strength}, ${strength}, 255)`;
}
function render() {
  const [state, unit] = select.value.split(":");
  const values = data.states[state][Number(unit)];
  text.replaceChildren();
  data.words.forEach((word, t) => {
    const box = document.createElement("span");
    box.className = "word";
    const token = document.createElement("span");
    token.className = "token";
    token.textContent = word;
    token.style.background = colour(values[t]);
    token.style.color = Math.abs(Math.tanh(values[t])) > 0.6 ? "white" : "black";
    token.title = `${state}[${unit}] = ${values[t].toFixed(3)}`;
    box.appendChild(token);
    const guesses = document.createElement("div");
    guesses.className = "guesses" + (showGuesses.checked ? "" : " hidden");
    guesses.textContent = data.guesses[t].map(([w, p]) => `${w} ${(100 * p).toFixed(0)}%`).join("\\n");
    box.appendChild(guesses);
    text.appendChild(box);
  });
  document.getElementById("chosen").textContent = `${state}[${unit}]`;
}
document.querySelectorAll(".cell").forEach((link) => link.addEventListener("click", () => {
  select.value = link.dataset.cell; render(); window.scrollTo(0, text.offsetTop - 60);
}));
select.addEventListener("change", render);
showGuesses.addEventListener("change", render);
render();
"""


def _cell_options(ranked: dict[str, list[dict]]) -> tuple[str, str]:
    """The selector's options (every ranked cell once) and the feature table's rows."""
    options, rows, seen = [], [], set()
    for feature, cells in ranked.items():
        links = []
        for cell in cells:
            key = f"{cell['state']}:{cell['unit']}"
            links.append(f'<span class="cell" data-cell="{key}">{cell["state"]}[{cell["unit"]}] r={cell["r"]:+.2f}</span>')
            if key not in seen:
                seen.add(key)
                options.append(f'<option value="{key}">{cell["state"]}[{cell["unit"]}] — {html.escape(feature)} '
                               f'(r = {cell["r"]:+.2f})</option>')
        rows.append(f"<tr><td>{html.escape(feature)}</td><td>{' &nbsp; '.join(links)}</td></tr>")
    return "\n".join(options), "\n".join(rows)


def _comparison_table(comparison: dict[str, Any] | None) -> str:
    if not comparison:
        return '<p class="note">No comparison with an n-gram model on this text.</p>'
    rows = "".join(f"<tr><td>{html.escape(row['kind'])}</td><td>{row['targets']}</td>"
                   f"<td>{row['model_top1']:.1%}</td><td>{row['other_top1']:.1%}</td><td>{row['only_model']}</td>"
                   f"<td>{row['only_other']}</td></tr>" for row in comparison["by_kind"])
    return (f'<p class="note">{html.escape(comparison["description"])}</p><table><tr><th>kind of word</th>'
            f"<th>targets</th><th>LSTM top-1</th><th>{html.escape(comparison['other'])} top-1</th>"
            f"<th>only the LSTM right</th><th>only {html.escape(comparison['other'])} right</th></tr>{rows}</table>")


def inspection_page(title: str, summary: str, words: list[str], states: dict[str, list[list[float]]],
                    guesses: list[list[tuple[str, float]]], ranked: dict[str, list[dict]],
                    meanings: dict[str, str], saturation_png: bytes, comparison: dict[str, Any] | None) -> str:
    """The HTML text of the page. ``states``: "h" and "c", each a list over units of (T,) values;
    ``guesses``: per word the five likeliest next words and their probabilities; ``ranked``: per
    feature the best cells (:func:`models.inspection.rank_cells`); ``meanings``: per feature one line."""
    options, feature_rows = _cell_options(ranked)
    meaning_rows = "".join(f"<tr><td>{html.escape(name)}</td><td>{html.escape(text)}</td></tr>"
                           for name, text in meanings.items())
    # JSON inside <script> is not HTML-decoded: only "</" must not occur (it could end the element)
    payload = json.dumps({"words": words, "states": states, "guesses": guesses}, ensure_ascii=False)
    payload = payload.replace("</", "<\\/")
    picture = base64.b64encode(saturation_png).decode("ascii")
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p>{html.escape(summary)}</p>
<h2>The cells that track each feature (Pearson r over the text; click one to colour the text by it)</h2>
<table>{feature_rows}</table>
<details><summary class="note">what the features mean</summary><table>{meaning_rows}</table></details>
<div class="controls">cell: <select id="cell">{options}</select>
 <label><input type="checkbox" id="guesses" checked> the five likeliest next words under each word</label>
 <span class="note">colouring by <b id="chosen"></b>: red above 0, blue below (tanh of the value)</span></div>
<div id="text"></div>
<h2>Gate saturation</h2>
<p class="note">Each dot is one unit: how often its gate is below 0.1 (x) and above 0.9 (y) over the text.</p>
<img alt="gate saturation per unit" src="data:image/png;base64,{picture}" style="max-width: 100%">
<h2>Where the LSTM beats the n-gram model</h2>
{_comparison_table(comparison)}
<script type="application/json" id="data">{payload}</script>
<script>{SCRIPT}</script>
</body></html>
"""
