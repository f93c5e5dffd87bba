using System.Text;
using Strata.IO;

namespace Strata.Smoke;

/// <summary>
/// A QEMU virtual machine: smoke/vault/vm.sh makes an ext4 root disk of the exported image (mke2fs -d, no
/// loop device, no mount) and boots Debian's cloud kernel on it (fetched once by vm-kernel.sh). With
/// <see cref="Accelerated"/>, KVM (seconds; only where /dev/kvm opens and the image is of the host's
/// architecture); else TCG, full emulation (minutes; any host, any of amd64 and arm64).
/// </summary>
internal sealed class VmRuntime(bool accelerated) : IVaultRuntime
{
    public const string Script = "vm.sh";
    public const string KernelScript = "vm-kernel.sh";

    private string? _kernel;
    // A KVM that booted the guest kernel once is trusted for the rest of this process (a run proves several
    // images); a failed probe is repeated, as it may have been a passing fault.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> KvmBooted = new();

    public bool Accelerated { get; } = accelerated;

    public string Name => Accelerated ? "KVM virtual machine" : "emulated virtual machine (TCG)";

    public async Task<RuntimeUnavailable?> ProbeAsync(GuestRoot root, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        if (root.Architecture is not { } arch)
            return Unavailable("the image's /bin/sh is not an x86-64 or arm64 program, so there is no guest kernel for it", "an amd64 or arm64 image");
        if (Accelerated)
        {
            if (arch != GuestArchitecture.Host)
                return Unavailable($"KVM runs the host's architecture only ({GuestArchitecture.Host?.ToString() ?? "unknown"}; the image is {arch})",
                    $"run on an {arch} host with KVM");
            if (KvmProblem(run.KvmDevice) is { } problem)
                return Unavailable(problem, "enable KVM: a host with virtualisation on (nested virtualisation for a VM), the kvm_intel or kvm_amd module, and read-write access to /dev/kvm");
        }
        var (qemu, package) = arch == GuestArchitecture.Arm64 ? ("qemu-system-aarch64", "qemu-system-arm") : ("qemu-system-x86_64", "qemu-system-x86");
        if (Executables.Find(qemu, run.SearchPath) is null)
            return Unavailable($"{qemu} is not installed", $"apt-get install {package}");
        if (Executables.Find("mke2fs", run.SearchPath, ["/usr/sbin", "/sbin"]) is null)
            return Unavailable("mke2fs is not installed (it makes the root disk)", "apt-get install e2fsprogs");

        (_kernel, var error) = await KernelAsync(arch, run, output, ct);
        if (_kernel is null) return Unavailable(error, "apt-get update on a host that reaches a Debian archive");
        return Accelerated ? await ProbeKvmAsync(arch, run, output, ct) : null;
    }

    /// <summary>
    /// A /dev/kvm that opens is not a KVM that runs guests: on some nested hosts QEMU aborts at the first
    /// vCPU ("failed to set MSR 0x10a") or the guest hangs. vm.sh --probe boots the kernel alone (seconds).
    /// </summary>
    private async Task<RuntimeUnavailable?> ProbeKvmAsync(GuestArchitecture arch, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        var key = $"{run.SearchPath}|{_kernel}";
        if (KvmBooted.ContainsKey(key))
        {
            output.Note("KVM booted the guest kernel at a probe earlier in this run");
            return null;
        }
        var said = new StringBuilder();
        var exit = await ChildProcess.RunAsync(Path.Combine(run.ScenarioDirectory, Script),
            ["--probe", "--kernel", _kernel!, "--arch", arch.Debian, "--accel", "kvm"], l => said.AppendLine(l), _ => { }, ct, UmlRuntime.Environment(run),
            stopGrace: VaultMachine.StopGrace);
        var line = said.ToString().Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("# probe: ", StringComparison.Ordinal))?["# probe: ".Length..]
                   ?? $"vm.sh --probe printed no result (exit {exit})";
        if (exit == 0)
        {
            KvmBooted[key] = true;
            output.Note($"KVM passed its probe boot: {line}");
            return null;
        }
        return Unavailable($"/dev/kvm opens, but QEMU could not boot the guest kernel with KVM at a probe boot: {line}",
            "a host whose KVM runs guests (nested virtualisation on, a QEMU that knows this CPU), or the emulated virtual machine");
    }

    /// <summary>vm-kernel.sh: the cached (or just fetched) guest kernel's folder, or why there is none.</summary>
    private static async Task<(string? Folder, string Error)> KernelAsync(GuestArchitecture arch, VaultRun run, VaultRunOutput output, CancellationToken ct)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        var script = Path.Combine(run.ScenarioDirectory, KernelScript);
        var exit = await ChildProcess.RunAsync(script, ["--arch", arch.Debian, "--cache", run.KernelCache], l => stdout.AppendLine(l), l => stderr.AppendLine(l), ct,
            UmlRuntime.Environment(run));
        var folder = stdout.ToString().Trim();
        if (exit == 0 && Directory.Exists(folder))
        {
            output.Note($"guest kernel: {folder}");
            return (folder, "");
        }
        return (null, $"cannot get the guest kernel linux-image-cloud-{arch}: {stderr.ToString().Trim().ReplaceLineEndings(" / ")} (exit {exit})");
    }

    /// <summary>Null when /dev/kvm opens read-write (what QEMU needs); else what is wrong.</summary>
    private static string? KvmProblem(string device)
    {
        if (!File.Exists(device)) return $"no {device} on this host (no hardware virtualisation, or it is not passed through)";
        try
        {
            using var kvm = new FileStream(device, FileMode.Open, FileAccess.ReadWrite);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"{device} does not open read-write: {e.Message}";
        }
    }

    public async Task RunAsync(GuestRoot root, VaultRun run, TimeSpan left, VaultRunOutput output, CancellationToken ct)
    {
        var args = new List<string>
        {
            "--user", run.User, "--timeout", VaultMachine.ScriptSeconds(left), "--root", root.Path,
            "--kernel", _kernel ?? throw new InvalidOperationException("RunAsync before a successful ProbeAsync"),
            "--arch", root.Architecture!.Debian, "--accel", Accelerated ? "kvm" : "tcg",
        };
        if (run.Only is { } only) args.AddRange(["--only", only]);
        if (run.Alone) args.Add("--alone");
        if (run.VaultOverride is { } vault) args.AddRange(["--vault-override", Path.GetFullPath(vault)]);
        if (run.Bench) args.Add("--bench");
        // The disk goes into this run's folder (TMPDIR); SIGTERM first when the run is stopped:
        // vm.sh's own cleanup kills QEMU's process group.
        var script = Path.Combine(run.ScenarioDirectory, Script);
        output.ExitCode = await ChildProcess.RunAsync(script, args, output.Line, output.Note, ct,
            new Dictionary<string, string>(UmlRuntime.Environment(run)) { ["TMPDIR"] = root.Folder }, stopGrace: VaultMachine.StopGrace,
            workingDirectory: Path.GetDirectoryName(Path.GetFullPath(script)));
    }

    private RuntimeUnavailable Unavailable(string why, string fix) => new(Name, why, fix);
}
