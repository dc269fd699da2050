// What one machine's run costs per token: the fields every run summary shares (`lpu gpu --json`, the LPU side of
// `lpu compare`, the HTML report's columns). One declaration, so the three cannot drift apart.

export interface PerTokenFigures {
  readonly tokens_per_s: { readonly per_user: number; readonly total: number };
  readonly joules_per_token: number;
  readonly usd_per_mtok: number;
  readonly tokens_per_s_per_w_per_usd: number;
  readonly watts: number;
  readonly energy_j_per_token: {
    readonly compute: number;
    readonly sram: number;
    readonly dram: number;
    readonly link: number;
    readonly static: number;
  };
}
