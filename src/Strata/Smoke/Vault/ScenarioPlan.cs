using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// What a run of the vault scenario would do, asked of the scenario itself on this host (VAULT_PLAN=1 runs no check
/// and needs no machine): a filter that selects nothing or is no regex, and declarations that do not add up, are
/// found in a second, before an image is built or a machine booted.
/// </summary>
internal static class ScenarioPlan
{
    /// <summary>Null when the run can start; else what is wrong, as the scenario says it.</summary>
    public static async Task<string?> ProblemAsync(string directory, string user, string? only, bool alone, CancellationToken ct)
    {
        var environment = new Dictionary<string, string> { ["VAULT_PLAN"] = "1" };
        if (only is not null) environment["VAULT_CHECKS"] = only;
        if (alone) environment["VAULT_CHECKS_ALONE"] = "1";
        var lines = new List<string>();
        var exit = await ChildProcess.RunAsync("bash", [Path.Combine(directory, "scenario.sh"), user], lines.Add, lines.Add, ct, environment);
        if (exit == 0) return null;
        return lines.FirstOrDefault(l => l.StartsWith("not ok - ", StringComparison.Ordinal))?["not ok - ".Length..]
               ?? $"its plan failed (exit {exit}): {string.Join(" / ", lines)}";
    }
}
