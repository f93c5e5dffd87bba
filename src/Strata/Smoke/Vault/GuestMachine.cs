using System.Diagnostics;
using System.Text;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// The one owner of a machine that boots its own kernel on the exported image (linux.uml, QEMU): what goes into
/// the guest's /strata-smoke, and the machine's process from its start to its end. The process runs in a process
/// group of its own (<see cref="ChildProcess"/>), so every end (power-off, crash, the run's limit, cancellation)
/// kills all of it; its files are in the run's temp folder, which <see cref="GuestRoot"/> removes. The console is
/// read as it comes: the guest's init (guest-init) marks the scenario's lines <c>@@TAP@@</c> (relayed at once,
/// so progress shows), its stderr <c>@@ERR@@</c>, its exit status <c>@@RC@@</c>, the scenario's end <c>@@END@@</c>
/// and its boot time <c>@@UP@@</c>. The verdict is the scenario's (tap.sh), relayed, never re-decided;
/// it is read from the console, never from the machine's exit status.
/// </summary>
internal static class GuestMachine
{
    /// <summary>Where the guest finds the scenario (its init's path: /strata-smoke/init).</summary>
    public const string SmokeFolder = "strata-smoke";
    /// <summary>PID 1 of both machines (the scenario's folder's): it runs the scenario and marks its console lines.</summary>
    public const string Init = "guest-init";

    /// <summary>
    /// The scenario's files, the init (as /strata-smoke/init) and what the run asks for (the user, the
    /// filter, each check alone, the bench) into the guest's root; a vault override over the user's vault link.
    /// Null when it is done, else why the scenario cannot run in this image.
    /// </summary>
    public static async Task<string?> InstallScenarioAsync(GuestRoot root, VaultRun run, CancellationToken ct)
    {
        var smoke = Directory.CreateDirectory(Path.Combine(root.Path, SmokeFolder)).FullName;
        foreach (var file in VaultMachine.GuestFiles) File.Copy(Path.Combine(run.ScenarioDirectory, file), Path.Combine(smoke, file), overwrite: true);
        File.Copy(Path.Combine(run.ScenarioDirectory, Init), Path.Combine(smoke, "init"), overwrite: true);
        foreach (var program in new[] { "scenario.sh", "init" }) File.SetUnixFileMode(Path.Combine(smoke, program), (UnixFileMode)0b111_101_101);
        await File.WriteAllTextAsync(Path.Combine(smoke, "user"), run.User + "\n", ct);
        await File.WriteAllTextAsync(Path.Combine(smoke, "only"), run.Only ?? "", ct); // the checks to run (tap.sh)
        Flag("alone", run.Alone); // each check alone
        Flag("bench", run.Bench); // the init counts the scenario's processes and sudo calls
        if (run.VaultOverride is not { } vault) return null;
        // (read from the image's passwd: its programs may be of another architecture than the host's)
        var home = (await File.ReadAllLinesAsync(Path.Combine(root.Path, "etc", "passwd"), ct))
            .Select(l => l.Split(':')).FirstOrDefault(f => f.Length > 5 && f[0] == run.User)?[5];
        if (home is null) return $"no user {run.User} in the image's /etc/passwd (for --vault-override)";
        // Written through the user's link (a relative link into ~/.dotfiles): the image's vault, replaced in the guest only.
        await File.WriteAllBytesAsync(Path.Combine(root.Path, home.TrimStart('/'), ".local", "bin", "vault"), await File.ReadAllBytesAsync(vault, ct), ct);
        return null;

        void Flag(string name, bool on)
        {
            var path = Path.Combine(smoke, name);
            if (on) File.WriteAllText(path, "");
            else File.Delete(path);
        }
    }

    /// <summary>The guest kernel's modules (the folder of one kernel version) into the guest's /lib/modules, as cp -a copies them.</summary>
    public static async Task CopyModulesAsync(GuestRoot root, string modules, CancellationToken ct)
    {
        var into = Directory.CreateDirectory(Path.Combine(root.Path, "lib", "modules")).FullName;
        var old = Path.Combine(into, Path.GetFileName(modules));
        if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        var errors = new List<string>();
        var exit = await ChildProcess.RunAsync("cp", ["-a", modules, into], null, errors.Add, ct);
        if (exit != 0) throw new IOException($"cp -a {modules} {into} failed (exit {exit}): {string.Join(" / ", errors)}");
    }

    /// <summary>
    /// Runs <paramref name="machine"/> (a program whose stdout is the guest's console) to its end, or until
    /// <paramref name="limit"/> has passed since <paramref name="clock"/> started (the runtime's set-up counts); the
    /// scenario's lines go to <paramref name="output"/> as they come.
    /// </summary>
    public static async Task<GuestConsole> RunAsync(string machine, IReadOnlyList<string> args, VaultRun run, TimeSpan limit, Stopwatch clock,
        VaultRunOutput output, CancellationToken ct)
    {
        var console = new GuestConsole(output);
        using var own = CancellationTokenSource.CreateLinkedTokenSource(ct);
        own.CancelAfter(TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(1).Ticks, (limit - clock.Elapsed).Ticks)));
        try
        {
            console.ExitCode = await ChildProcess.RunAsync(machine, args, console.Read, console.Said, own.Token, Environment(run), ownProcessGroup: true);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            console.TimedOut = $"no verdict within {limit.TotalSeconds:0} s (the run's limit)";
        }
        return console;
    }

    /// <summary>The machine's own limit: a little less than what is left of the run, so it ends, reports and is cleaned up before the run's.</summary>
    internal static TimeSpan OwnLimit(TimeSpan left) =>
        TimeSpan.FromSeconds(Math.Max(1, (int)(left - TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(60).Ticks, left.Ticks / 4))).TotalSeconds));

    /// <summary>The PATH the machine is looked up and run with (tests put stand-ins first).</summary>
    internal static IReadOnlyDictionary<string, string> Environment(VaultRun run) => run.SearchPath is { } path
        ? new Dictionary<string, string> { ["PATH"] = path }
        : new Dictionary<string, string>();
}

/// <summary>What a machine's console showed: the scenario's lines were relayed as they came; the rest is kept for the report.</summary>
internal sealed class GuestConsole(VaultRunOutput output)
{
    private const int TailLines = 25;
    private readonly Queue<string> _tail = new();
    private readonly StringBuilder _said = new();

    /// <summary>The scenario's exit status, once the guest printed it.</summary>
    public int? Status { get; private set; }
    /// <summary>The guest printed its end marker: the scenario ran to its end.</summary>
    public bool Ended { get; private set; }
    /// <summary>Seconds from the guest kernel's start to its init (the init says), or null.</summary>
    public string? Up { get; private set; }
    /// <summary>Why the machine was stopped before its end, or null.</summary>
    public string? TimedOut { get; set; }
    /// <summary>The machine's own exit code (not the verdict), or null when it was stopped.</summary>
    public int? ExitCode { get; set; }

    /// <summary>One line of the console.</summary>
    public void Read(string line)
    {
        if (Marked(line, "@@TAP@@ ") is { } tap) output.Line(tap);
        else if (Marked(line, "@@ERR@@ ") is { } err) output.Note("# stderr: " + err);
        else if (Marked(line, "@@RC@@ ") is { } rc && int.TryParse(rc, out var status)) Status = status;
        else if (line.StartsWith("@@END@@", StringComparison.Ordinal)) Ended = true;
        else if (Marked(line, "@@UP@@ ") is { } up) Up ??= up;
        else
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines) _tail.Dequeue();
        }
    }

    /// <summary>One line the machine itself wrote to stderr (QEMU's errors).</summary>
    public void Said(string line) => _said.Append(line).Append(' ');

    private static string? Marked(string line, string marker) =>
        line.StartsWith(marker, StringComparison.Ordinal) ? line[marker.Length..] : null;

    /// <summary>
    /// The run's exit code: the scenario's when it ended; else 1 after one "not ok" line, <paramref name="notEnded"/>
    /// (how this machine's guest failed) unless its limit stopped it, with the machine's last words in the notes.
    /// </summary>
    public int Verdict(string program, string notEnded)
    {
        if (Ended) return Status ?? 1;
        if (TimedOut is not null)
        {
            output.Line($"not ok - vault scenario finished in time: {TimedOut}");
            return 1;
        }
        if (_said.Length > 0) output.Note($"{program} said: {_said.ToString().Trim()}");
        output.Note("console tail:");
        foreach (var line in _tail) output.Note("#   " + line);
        output.Line("not ok - " + notEnded);
        return 1;
    }
}
