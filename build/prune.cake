// prune: remove this repository's images that neither the current plan nor the last --keep=N
// plans (default 2) use; --dry-run lists them and the space they hold.
using Strata.Pipeline;

Task(Targets.Prune)
    .Description("Remove this repository's images no recent plan uses (--keep=N, default 2; --dry-run)")
    .Does(async () => await strata.PruneAsync(PruneVerbOptions.From(arguments), stopping));
