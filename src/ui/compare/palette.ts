/** One colour per run of a comparison (Okabe–Ito, then a few more), in the runs' order. */
const RUN_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#6a51a3', '#8a6d3b', '#222222', '#2a9d8f'];

export const runColor = (index: number) => RUN_COLORS[index % RUN_COLORS.length]!;
