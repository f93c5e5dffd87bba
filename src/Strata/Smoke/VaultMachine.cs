using System.Diagnostics;
using System.Globalization;
using System.Text;
using Strata.Engine;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>Where the vault scenario may run: it needs a kernel with loop, device-mapper and dm-crypt.</summary>
public enum VaultRuntime
{
    /// <summary>A privileged container, else a near-privileged one, else User-Mode Linux.</summary>
    Auto,
    /// <summary>A container only (privileged, else near-privileged); fails where neither can run the vault.</summary>
    Container,
    /// <summary>User-Mode Linux only (where the host kernel has no device-mapper).</summary>
    Uml,
}

/// <summary>One run of the vault scenario (the scripts of <paramref name="ScenarioDirectory"/>, usually smoke/vault) on an image.</summary>
/// <param name="User">The vault user: the smoke spec's user.</param>
/// <param name="Timeout">The whole run, export and cleanup included.</param>
public sealed record VaultRun(string ImageRef, string User, string ScenarioDirectory, TimeSpan Timeout)
{
    public VaultRuntime Runtime { get; init; } = VaultRuntime.Auto;
    /// <summary>An extended regex: only the checks whose name matches run (a fast loop; the verdict says "filtered").</summary>
    public string? Only { get; init; }
    /// <summary>A vault script that replaces the image's inside the machine under test only (negative tests).</summary>
    public string? VaultOverride { get; init; }
    /// <summary>Count the scenario's processes and sudo calls (User-Mode Linux only).</summary>
    public bool Bench { get; init; }
    /// <summary>Where the run's temp folder (the UML root) goes.</summary>
    public string TempRoot { get; init; } = Path.GetTempPath();
}

/// <summary>
/// What a vault run printed. <see cref="StdOut"/> is the contract <see cref="ScenarioCheck"/> reads: a
/// "# runtime: ..." line, the scenario's TAP lines and its verdict line.
/// </summary>
/// <param name="TimedOut">The run's limit passed before the scenario ended; it was stopped, and StdOut holds what came before.</param>
public sealed record ScenarioOutput(int ExitCode, string StdOut, string StdErr, bool TimedOut);

/// <summary>
/// Finds a machine that can run dm-crypt and runs the vault scenario in it, through the one engine
/// client (<see cref="DockerEngine"/>): the shell never talks to docker. In order (<see cref="VaultRuntime.Auto"/>):
/// <list type="number">
/// <item>a privileged container;</item>
/// <item>a near-privileged one (all capabilities but SYS_RESOURCE, seccomp and AppArmor unconfined, the
/// loop, misc and device-mapper devices allowed), for engines that refuse --privileged;</item>
/// <item>User-Mode Linux: the image's filesystem, exported through the engine, becomes the guest's root
/// and smoke/vault/uml.sh boots linux.uml on it.</item>
/// </list>
/// A container is used only if <c>vault preflight</c> passes in it (the kernel has device-mapper and dm-crypt).
/// Every end (pass, fail, timeout, cancellation) removes the container and the temp folder and stops
/// uml.sh with linux.uml's whole process group.
/// </summary>
public static class VaultMachine
{
    /// <summary>Every container of a vault run carries this label (a test asserts none is left).</summary>
    public const string ContainerLabel = "strata.vault-run";
    /// <summary>The scenario's files that run inside the machine under test, mounted at /strata-smoke.</summary>
    public static readonly IReadOnlyList<string> GuestFiles = ["scenario.sh", "tap.sh", "pty.sh"];
    /// <summary>The host side of the User-Mode Linux runtime.</summary>
    public const string UmlScript = "uml.sh";
    /// <summary>How long uml.sh may take to clean up after a SIGTERM before its process tree is killed (see <see cref="ChildProcess"/>).</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    /// <summary>Runs the scenario; <paramref name="progress"/> gets every line (the scenario's and the runner's notes) as it comes.</summary>
    public static async Task<ScenarioOutput> RunAsync(IEngine docker, VaultRun run, Action<string>? progress = null,
        CancellationToken ct = default)
    {
        var output = new Output(progress);
        var missing = GuestFiles.Append(UmlScript).Append("uml-init").Where(f => !File.Exists(Path.Combine(run.ScenarioDirectory, f))).ToList();
        if (missing.Count > 0) return output.CannotRun($"{string.Join(", ", missing)} not found in {run.ScenarioDirectory}");
        if (run.VaultOverride is { } vault && !File.Exists(vault)) return output.CannotRun($"the vault override {vault} does not exist");

        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(run.Timeout);
        try
        {
            if ((await docker.Images.InspectImagesAsync([run.ImageRef], limit.Token)).Count == 0)
                return output.CannotRun($"image {run.ImageRef} not found in the engine (build or pull it first)");

            if (run.Runtime is VaultRuntime.Auto or VaultRuntime.Container)
            {
                var binds = await GuestBindsAsync(docker, run, output, limit.Token);
                foreach (var kind in new[] { ContainerKind.Privileged, ContainerKind.NearPrivileged })
                    if (binds is not null && await TryContainerAsync(docker, run, kind, binds, output, limit.Token))
                        return output.Done(clock);
                if (run.Runtime == VaultRuntime.Container)
                    return output.CannotRun("no container runtime can prove the vault here (see the notes above)");
                output.Note("falling back to User-Mode Linux");
            }
            await RunUmlAsync(docker, run, run.Timeout - clock.Elapsed, output, limit.Token);
            return output.Done(clock);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            output.Note($"the run was stopped after {run.Timeout.TotalSeconds:0} s (its limit)");
            return output.TimedOut();
        }
    }

    private enum ContainerKind { Privileged, NearPrivileged }

    /// <summary>
    /// The guest files at /strata-smoke, and the override over the user's vault (where its link resolves
    /// in the image); null, with a note, when the image has no vault of that user to override.
    /// </summary>
    private static async Task<List<string>?> GuestBindsAsync(IEngine docker, VaultRun run, Output output, CancellationToken ct)
    {
        var binds = GuestFiles.Select(f => $"{Path.GetFullPath(Path.Combine(run.ScenarioDirectory, f))}:/strata-smoke/{f}:ro").ToList();
        if (run.VaultOverride is not { } vault) return binds;
        var where = await docker.Containers.RunContainerAsync(new ContainerOptions { User = "0", ReplaceEntrypoint = true }, run.ImageRef,
            ["sh", "-c", "readlink -f \"$(getent passwd \"$1\" | cut -d: -f6)/.local/bin/vault\"", "sh", run.User], ct);
        if (where.ExitCode != 0 || where.StdOut.Trim().Length == 0)
        {
            output.Note($"cannot find the vault of {run.User} in {run.ImageRef} to override it: {where.StdErr.Trim()}");
            return null;
        }
        binds.Add($"{Path.GetFullPath(vault)}:{where.StdOut.Trim()}:ro");
        return binds;
    }

    /// <summary>True when the scenario ran in such a container (whatever its verdict); false when this kind cannot run it here.</summary>
    private static async Task<bool> TryContainerAsync(IEngine docker, VaultRun run, ContainerKind kind, List<string> binds,
        Output output, CancellationToken ct)
    {
        var options = kind == ContainerKind.Privileged
            ? new ContainerOptions { Privileged = true }
            : new ContainerOptions
            {
                CapAdd = ["ALL"], CapDrop = ["SYS_RESOURCE"],
                SecurityOptions = ["seccomp=unconfined", "apparmor=unconfined"],
                DeviceCgroupRules = ["b 7:* rmw", "c 10:* rmw", .. DeviceMapperMajor() is { } dm ? [$"b {dm}:* rmw"] : Array.Empty<string>()],
            };
        options = options with
        {
            User = "0", ReplaceEntrypoint = true, Binds = binds,
            Labels = new Dictionary<string, string> { [ContainerLabel] = run.ImageRef },
        };
        var name = $"strata-vault-{Environment.ProcessId}-{kind.ToString().ToLowerInvariant()}-{Guid.NewGuid():N}"[..60];
        string container;
        try
        {
            container = await docker.Containers.StartContainerAsync(name, run.ImageRef, options, ["sleep", "infinity"], ct);
        }
        catch (EngineException e)
        {
            output.Note($"{Describe(kind)} refused by the engine: {e.Message}");
            await docker.Containers.RemoveContainerAsync(name, CancellationToken.None);
            return false;
        }
        try
        {
            var preflight = await docker.Containers.ExecAsync(container, run.User, ["sh", "-c", "cd && \"$HOME/.local/bin/vault\" preflight"], ct);
            if (preflight.ExitCode != 0)
            {
                output.Note($"{Describe(kind)} started, but the vault cannot work in it (vault preflight): " +
                            (preflight.StdErr + preflight.StdOut).Trim().ReplaceLineEndings(" / "));
                return false;
            }
            output.Line($"{ScenarioCheck.RuntimePrefix} {Describe(kind)}");
            var result = await docker.Containers.ExecAsync(container, "root", ["/strata-smoke/scenario.sh", run.User], ct,
                run.Only is { } only ? [$"VAULT_CHECKS={only}"] : null, output.Line);
            foreach (var line in result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries)) output.Note(line.TrimEnd('\r'));
            output.ExitCode = result.ExitCode;
            return true;
        }
        finally
        {
            await docker.Containers.RemoveContainerAsync(container, CancellationToken.None);
        }
    }

    private static string Describe(ContainerKind kind) => kind == ContainerKind.Privileged
        ? "privileged container"
        : "near-privileged container (all capabilities but SYS_RESOURCE, seccomp/apparmor unconfined, loop+dm device rules)";

    /// <summary>The host's device-mapper block major (/proc/devices), so a near-privileged container may open /dev/dm-*.</summary>
    private static string? DeviceMapperMajor()
    {
        try
        {
            return File.ReadLines("/proc/devices").Select(l => l.Trim().Split(' ', 2))
                .FirstOrDefault(p => p.Length == 2 && p[1] == "device-mapper")?[0];
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Exports the image into a temp folder and has uml.sh boot linux.uml on it; the folder goes whatever happens.</summary>
    private static async Task RunUmlAsync(IEngine docker, VaultRun run, TimeSpan left, Output output, CancellationToken ct)
    {
        var temp = Directory.CreateDirectory(Path.Combine(Path.GetFullPath(run.TempRoot), "strata-vault-run." + Path.GetRandomFileName())).FullName;
        try
        {
            var root = Directory.CreateDirectory(Path.Combine(temp, "root")).FullName;
            output.Note($"exporting {run.ImageRef} into {root}");
            await docker.Images.ExportImageAsync(run.ImageRef, (tar, token) => UntarAsync(tar, root, token), ct);

            // uml.sh gets a little less than what is left, so it can time out, report and clean up by itself.
            var own = left - TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(60).Ticks, left.Ticks / 4));
            var args = new List<string> { "--user", run.User, "--timeout", Math.Max(1, (int)own.TotalSeconds).ToString(CultureInfo.InvariantCulture), "--root", root };
            if (run.Only is { } only) args.AddRange(["--only", only]);
            if (run.VaultOverride is { } vault) args.AddRange(["--vault-override", Path.GetFullPath(vault)]);
            if (run.Bench) args.Add("--bench");
            // Its own temp files go into this run's folder too, so nothing of the run outlives it.
            // SIGTERM first when the run is stopped: uml.sh's own cleanup kills linux.uml's process group.
            var script = Path.Combine(run.ScenarioDirectory, UmlScript);
            output.ExitCode = await ChildProcess.RunAsync(script, args, output.Line, output.Note, ct,
                new Dictionary<string, string> { ["TMPDIR"] = temp }, stopGrace: StopGrace,
                workingDirectory: Path.GetDirectoryName(Path.GetFullPath(script)));
        }
        finally
        {
            DeleteTree(temp, output);
        }
    }

    /// <summary>tar keeps what the vault depends on: owners (numeric), modes, setuid bits, links and device nodes.</summary>
    private static async Task UntarAsync(Stream tar, string root, CancellationToken ct)
    {
        var errors = new StringBuilder();
        var exitCode = await ChildProcess.RunAsync("tar", ["-C", root, "-xpf", "-", "--numeric-owner"], null, line => errors.AppendLine(line), ct,
            writeStdin: (stdin, token) => tar.CopyToAsync(stdin, token));
        if (exitCode != 0)
            throw new EngineException($"unpacking the image for User-Mode Linux failed (tar exit {exitCode}): {errors.ToString().Trim()}");
    }

    /// <summary>The UML root holds root-owned files and links: removed without following a link or leaving the file system.</summary>
    private static void DeleteTree(string path, Output output)
    {
        using var rm = Process.Start(new ProcessStartInfo("rm", ["-rf", "--one-file-system", path]) { UseShellExecute = false });
        rm?.WaitForExit();
        if (Directory.Exists(path)) output.Note($"could not remove {path}; remove it by hand");
    }

    /// <summary>The run's stdout (the contract) and stderr (notes), relayed as they come.</summary>
    private sealed class Output(Action<string>? progress)
    {
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

        /// <summary>No machine could run the scenario: the contract's way of saying so.</summary>
        public ScenarioOutput CannotRun(string reason)
        {
            Note(reason);
            Line($"{ScenarioCheck.RuntimePrefix} none");
            Line($"not ok - vault scenario ran: {reason}");
            return Snapshot(1, timedOut: false);
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
}
