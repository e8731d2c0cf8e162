"""The trend chart of benches/charts.rs drawn with matplotlib: 12 columns with labels and
a YoY line on a secondary axis, Chinese title and footnote, 1920×1080 PNG, with the same
font file. Usage: python3 benches/matplotlib_chart.py FONT.otf OUT_DIR. Prints the mean
of 20 renders."""
import sys
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib import font_manager

font_path, out = sys.argv[1], sys.argv[2]
font_manager.fontManager.addfont(font_path)
plt.rcParams["font.family"] = font_manager.FontProperties(fname=font_path).get_name()
plt.rcParams["axes.unicode_minus"] = False

months = [f"{m}月" for m in range(1, 13)]
values = [m * 1.13 for m in range(1, 13)]
yoy = [(m - 6) / 20 * 100 for m in range(1, 13)]


def draw(path):
    fig, ax = plt.subplots(figsize=(19.2, 10.8), dpi=100)
    bars = ax.bar(months, values, color="#1f5fad", label="累计（亿元）")
    ax.bar_label(bars, fmt="%.2f")
    right = ax.twinx()
    right.plot(months, yoy, color="#e8833a", marker="o", label="同比增速（%，右轴）")
    for x, y in zip(months, yoy):
        right.annotate(f"{y:.1f}%", (x, y), textcoords="offset points", xytext=(0, -16), ha="center")
    ax.set_title("2025年固定资产投资完成情况", loc="left", fontsize=28)
    fig.text(0.03, 0.02, "数据截至 2025-12-31 · 来源：zhaoshang 招商项目台账", fontsize=12)
    fig.savefig(path)
    plt.close(fig)


draw(f"{out}/warmup.png")
started = time.perf_counter()
for i in range(20):
    draw(f"{out}/matplotlib-{i}.png")
mean = (time.perf_counter() - started) / 20 * 1000
print(f"matplotlib {matplotlib.__version__} trend 1920×1080 PNG: {mean:.1f} ms")
