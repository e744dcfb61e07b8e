/** One colour per run of a comparison (Okabe–Ito, then a few more), in the runs' order. */
const RUN_COLORS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#6a51a3', '#8a6d3b', '#222222', '#2a9d8f'];

/** And a dash pattern each: two runs whose curves coincide (fp16 on fp32) stay apart. */
const RUN_DASHES = ['', '7 4', '2 3', '10 3 2 3', '1 5', '5 2 1 2'];

export const runColor = (index: number) => RUN_COLORS[index % RUN_COLORS.length]!;

export const runDash = (index: number) => RUN_DASHES[index % RUN_DASHES.length]!;
