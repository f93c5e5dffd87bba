using System.Diagnostics;
using System.Text;

namespace Strata.Smoke;

/// <summary>A vault run's stdout (the contract) and stderr (notes), relayed as they come.</summary>
internal sealed class VaultRunOutput(Action<string>? progress)
{
    public const string PassedOverPrefix = "# passed over:";

    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    public int ExitCode { get; set; } = 1;

    public void Line(string line)
    {
        lock (_stdout) _stdout.AppendLine(line);
        progress?.Invoke(line);
    }

    public void Note(string line)
    {
        var note = line.StartsWith('#') ? line : "# " + line;
        lock (_stderr) _stderr.AppendLine(note);
        progress?.Invoke(note);
    }

    /// <summary>Part of the contract: the report says why each faster runtime did not prove the image.</summary>
    public void PassedOver(RuntimeUnavailable unavailable) => Line($"{PassedOverPrefix} {unavailable.Runtime}: {unavailable.Reason}");

    /// <summary>No machine could run the scenario: the contract's way of saying so.</summary>
    public ScenarioOutput CannotRun(string reason)
    {
        Note(reason);
        Line($"{ScenarioCheck.RuntimePrefix} none");
        Line($"not ok - vault scenario ran: {reason}");
        return Snapshot(1, timedOut: false);
    }

    /// <summary>Every runtime was tried and none can work here: one line per runtime, with its fix.</summary>
    public ScenarioOutput NoRuntime(IReadOnlyList<RuntimeUnavailable> tried)
    {
        foreach (var runtime in tried) Note($"  {runtime}");
        return CannotRun($"no runtime can prove the vault on this host: {string.Join("; ", tried)}");
    }

    public ScenarioOutput Done(Stopwatch clock)
    {
        Note($"run took {clock.Elapsed.TotalSeconds:0} s");
        return Snapshot(ExitCode, timedOut: false);
    }

    public ScenarioOutput TimedOut() => Snapshot(-1, timedOut: true);

    private ScenarioOutput Snapshot(int exitCode, bool timedOut)
    {
        lock (_stdout) lock (_stderr) return new ScenarioOutput(exitCode, _stdout.ToString(), _stderr.ToString(), timedOut);
    }
}
