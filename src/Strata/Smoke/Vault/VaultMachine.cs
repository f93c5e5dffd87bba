using System.Diagnostics;
using Strata.Engine;

namespace Strata.Smoke;

/// <summary>
/// Finds a machine that can run dm-crypt and runs the vault scenario in it, through the one engine
/// client (<see cref="DockerEngine"/>): the shell never talks to docker. <see cref="VaultRuntime.Auto"/> tries,
/// fastest first, probing before it trusts:
/// <list type="number">
/// <item>a privileged container, else a near-privileged one (<see cref="VaultContainers"/>): only if <c>vault preflight</c> passes in it;</item>
/// <item>a KVM virtual machine (<see cref="VmRuntime"/>): only if /dev/kvm opens, the image is of the host's architecture and a probe boot of the guest kernel under KVM reaches its root mount;</item>
/// <item>User-Mode Linux (<see cref="UmlRuntime"/>): x86-64 only, and only after a probe boot shows linux.uml runs on this CPU;</item>
/// <item>an emulated virtual machine (TCG): any amd64 or arm64 image, on any host with QEMU.</item>
/// </list>
/// The output says which runtime proved the image and, one line each, why the faster ones were passed over;
/// where none can run, one error names each runtime, why it cannot and the fix (a failed proof, never a skip).
/// Every end (pass, fail, timeout, cancellation) removes the container, kills the linux.uml or QEMU process group
/// (<see cref="GuestMachine"/>) and removes the temp folder (the exported image, the VM's disk).
/// </summary>
public static class VaultMachine
{
    /// <summary>Every container of a vault run carries this label (a test asserts none is left).</summary>
    public const string ContainerLabel = "strata.vault-run";
    /// <summary>The scenario's files that run inside the machine under test, mounted (or copied) at /strata-smoke.</summary>
    public static readonly IReadOnlyList<string> GuestFiles = ["scenario.sh", "tap.sh", "pty.sh"];
    /// <summary>The init of the machines that boot a kernel, and the virtual machine's kernel fetcher.</summary>
    public static readonly IReadOnlyList<string> HostFiles = [GuestMachine.Init, VmRuntime.KernelScript];

    /// <summary>Runs the scenario; <paramref name="progress"/> gets every line (the scenario's and the runner's notes) as it comes.</summary>
    public static async Task<ScenarioOutput> RunAsync(IImageStore images, IContainerRuntime containers, VaultRun run, Action<string>? progress = null,
        CancellationToken ct = default)
    {
        var output = new VaultRunOutput(progress);
        var missing = GuestFiles.Concat(HostFiles).Where(f => !File.Exists(Path.Combine(run.ScenarioDirectory, f))).ToList();
        if (missing.Count > 0) return output.CannotRun($"{string.Join(", ", missing)} not found in {run.ScenarioDirectory}");
        if (run.VaultOverride is { } vault && !File.Exists(vault)) return output.CannotRun($"the vault override {vault} does not exist");

        var clock = Stopwatch.StartNew();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(run.Timeout);
        try
        {
            if ((await images.InspectImagesAsync([run.ImageRef], limit.Token)).Count == 0)
                return output.CannotRun($"image {run.ImageRef} not found in the engine (build or pull it first)");

            var passedOver = new List<RuntimeUnavailable>();
            if (run.Runtime is VaultRuntime.Auto or VaultRuntime.Container)
            {
                if (await VaultContainers.TryRunAsync(containers, run, output, passedOver, limit.Token)) return output.Done(clock);
                if (run.Runtime == VaultRuntime.Container) return output.NoRuntime(passedOver);
            }

            IVaultRuntime[] machines = run.Runtime switch
            {
                VaultRuntime.Vm => [new VmRuntime(accelerated: true), new VmRuntime(accelerated: false)],
                VaultRuntime.Uml => [new UmlRuntime()],
                _ => [new VmRuntime(accelerated: true), new UmlRuntime(), new VmRuntime(accelerated: false)],
            };
            await using var root = await GuestRoot.PrepareAsync(images, run, output, limit.Token);
            foreach (var machine in machines)
            {
                if (await machine.ProbeAsync(root, run, output, limit.Token) is { } unavailable)
                {
                    output.Note($"{unavailable.Runtime} cannot run here: {unavailable.Reason}");
                    passedOver.Add(unavailable);
                    continue;
                }
                foreach (var faster in passedOver) output.PassedOver(faster);
                await machine.RunAsync(root, run, run.Timeout - clock.Elapsed, output, limit.Token);
                return output.Done(clock);
            }
            return output.NoRuntime(passedOver);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            output.Note($"the run was stopped after {run.Timeout.TotalSeconds:0} s (its limit)");
            return output.TimedOut();
        }
    }
}
