using Strata.Engine;
using Strata.IO;
using Strata.Smoke;
using Strata.Tests.Support;
using Xunit.Abstractions;

namespace Strata.Tests.Smoke;

/// <summary>
/// The virtual-machine runtime on the real base image: the real scenario in QEMU (KVM where it works,
/// else emulation), auto falling past a User-Mode Linux that crashes on this CPU, and the one error
/// of a host where no runtime can run. Filtered runs: the full scenario runs once per host in the
/// runtime auto picks (VaultScenarioIntegrationTests); bench/results.md has the VM's full-run times.
/// </summary>
[Collection("engine")]
[Trait("Needs", "Engine")]
[Trait("Lane", "vault-proof")] // (every test here boots a machine: the vault lane, which CI balances against the other)
public sealed class VaultVmIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly DockerEngine _docker = new();
    private readonly TempRepo _temp = new();
    private string _baseRef = "";

    public async Task InitializeAsync() => _baseRef = await RealChain.BuildAsync(_docker, "base", output.WriteLine);

    private readonly List<string> _ownTags = [];

    public async Task DisposeAsync()
    {
        foreach (var tag in _ownTags) await _docker.Images.RemoveImageAsync(Strata.Oci.ImageReference.Parse(tag));
        _temp.Dispose();
    }

    /// <summary>base under a tag of this test's own: the vault containers' label names it, so another lane's run on base is not counted.</summary>
    private async Task<string> OwnTagAsync()
    {
        var imageRef = $"strata-vault-test/vm:{Guid.NewGuid():N}"[..^20];
        await _docker.Images.TagAsync(Strata.Oci.ImageReference.Parse(_baseRef), Strata.Oci.ImageReference.Parse(imageRef));
        _ownTags.Add(imageRef);
        return imageRef;
    }

    /// <summary>A run that ended left no temp folder, no process (linux.uml, QEMU) and no container of its image.</summary>
    private async Task AssertNothingLeftAsync(string imageRef)
    {
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path("tmp")));
        Assert.Empty(ProcessList.Mentioning(_temp.Path("tmp")));
        Assert.Empty(await _docker.Containers.ListContainersAsync($"{VaultMachine.ContainerLabel}={imageRef}"));
    }

    private static string ScenarioDirectory => Path.Combine(RepositoryRoot.Find(), "smoke", "vault");

    private VaultRun Run(VaultRuntime runtime, string only) => new(Strata.Oci.ImageReference.Parse(_baseRef), "dev", ScenarioDirectory, TimeSpan.FromMinutes(10))
    {
        Runtime = runtime, Only = only, KernelCache = VmKernels.Cache, TempRoot = Directory.CreateDirectory(_temp.Path("tmp")).FullName,
    };

    /// <summary>A linux.uml that crashes as it does at init on Intel Sapphire Rapids hosts.</summary>
    private string CrashingUml()
    {
        _temp.Write("crashing-uml/linux.uml",
            "#!/bin/sh\necho 'Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b'\nkill -SEGV $$\n", executable: true);
        return _temp.Path("crashing-uml");
    }

    /// <summary>
    /// A /dev/kvm that opens (a plain file) and a qemu-system-x86_64 that aborts at the first vCPU under KVM, as
    /// QEMU 7.2 does on some nested AMD hosts of this kind; without KVM it is the real QEMU.
    /// </summary>
    private (string Device, string Directory) BrokenKvm()
    {
        var qemu = Executables.Find("qemu-system-x86_64", null) ?? throw new InvalidOperationException("qemu-system-x86_64 is not installed");
        _temp.Write("broken-kvm/qemu-system-x86_64",
            "#!/bin/sh\ncase \" $* \" in *' -accel kvm '*)\n" +
            "  echo 'qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69' >&2\n  kill -ABRT $$ ;;\nesac\n" +
            $"exec {qemu} \"$@\"\n", executable: true);
        _temp.Write("broken-kvm/kvm", "");
        return (_temp.Path("broken-kvm/kvm"), _temp.Path("broken-kvm"));
    }

    private static List<string> Tap(ScenarioOutput run) =>
        run.StdOut.Split('\n').Where(l => l.StartsWith("ok - ", StringComparison.Ordinal) || l.StartsWith("not ok - ", StringComparison.Ordinal)).ToList();

    [Fact]
    public async Task The_real_vault_unlocks_and_locks_on_an_arm64_image_in_an_arm64_virtual_machine()
    {
        // An arm64 image with the repository's vault (made without emulation), booted in qemu-system-aarch64:
        // KVM on an arm64 host that has it, else emulated. The lock check only, with the unlock it needs as its set-up:
        // minutes under emulation.
        var image = await Arm64VaultImage.GetAsync(_docker, output.WriteLine);
        var run = await VaultMachine.RunAsync(_docker.Images, _docker.Containers, Run(VaultRuntime.Vm, "lock --erase leaves") with
        {
            ImageRef = image,
        }, output.WriteLine);

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        Assert.Matches(@"(?m)^# runtime: virtual machine: qemu-system-aarch64 [0-9.]+, (KVM|TCG \(full emulation\)), .*guest kernel linux-image-[^ ]*-cloud-arm64", run.StdOut);
        Assert.Contains("# guest kernel: ", run.StdOut);
        Assert.Contains("(aarch64)", run.StdOut);
        Assert.Equal(2, Tap(run).Count);
        Assert.StartsWith("ok - [set-up] unlock a new vault", Tap(run)[0]);
        Assert.All(Tap(run), l => Assert.StartsWith("ok - ", l));
        Assert.Contains("# vault scenario: PASS (2 passed, 0 failed, filtered: lock --erase leaves; 1 ran as set-up)", run.StdOut);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_temp.Path("tmp")));
    }

    [Fact]
    public async Task Auto_falls_past_a_kvm_that_cannot_boot_and_a_user_mode_linux_that_crashes_to_an_emulated_vm_where_the_real_vault_unlocks_writes_and_locks()
    {
        // A /dev/kvm on which QEMU aborts (as on some AMD hosts of this kind), and a linux.uml that crashes
        // (as on Intel ones): only emulation is left, on any host, and neither crash is a vault failure.
        // In that VM, the unlock-to-erase path of the scenario (the full one: bench/results.md): two checks selected,
        // the unlock they need comes along as their set-up (a filtered run that tells the truth). One boot for both
        // points, for CI's time: an emulated boot is most of a minute here.
        var (kvm, brokenKvm) = BrokenKvm();
        var imageRef = await OwnTagAsync();
        var run = await VaultMachine.RunAsync(_docker.Images, _docker.Containers, Run(VaultRuntime.Auto, "write and read|lock --erase leaves") with
        {
            ImageRef = Strata.Oci.ImageReference.Parse(imageRef), KvmDevice = kvm,
            SearchPath = CrashingUml() + ":" + brokenKvm + ":" + Environment.GetEnvironmentVariable("PATH"),
        }, output.WriteLine);

        Assert.True(run.ExitCode == 0, run.StdOut + run.StdErr);
        Assert.Matches(@"(?m)^# runtime: virtual machine: qemu-system-x86_64 [0-9.]+, TCG \(full emulation\), .*guest kernel linux-image-[^ ]*-cloud-amd64", run.StdOut);
        Assert.Equal(3, Tap(run).Count);
        Assert.StartsWith("ok - [set-up] unlock a new vault", Tap(run)[0]);
        Assert.All(Tap(run), l => Assert.StartsWith("ok - ", l));
        Assert.Contains("# vault scenario: PASS (3 passed, 0 failed, filtered: write and read|lock --erase leaves; 1 ran as set-up)", run.StdOut);
        // One line each for the faster runtimes, in order, before the runtime line.
        var passedOver = run.StdOut.Split('\n').Where(l => l.StartsWith("# passed over: ", StringComparison.Ordinal)).ToList();
        var kvmLine = Assert.Single(passedOver, l => l.StartsWith("# passed over: KVM virtual machine: ", StringComparison.Ordinal));
        Assert.Contains("/dev/kvm opens, but QEMU could not boot the guest kernel with KVM at a probe boot: QEMU stopped before the guest kernel " +
                        "reached its root mount (qemu-system-x86_64, kvm, -machine q35 -cpu host); QEMU said: qemu-system-x86_64: error: failed to set MSR 0x10a", kvmLine);
        var uml = Assert.Single(passedOver, l => l.StartsWith("# passed over: User-Mode Linux: ", StringComparison.Ordinal));
        Assert.Contains("linux.uml crashed at a probe boot before its init ran (killed by signal 11; console: Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b)", uml);
        Assert.True(run.StdOut.IndexOf(uml, StringComparison.Ordinal) < run.StdOut.IndexOf("# runtime: ", StringComparison.Ordinal));
        // The crash is no vault failure: no TAP line talks about User-Mode Linux.
        Assert.DoesNotContain(Tap(run), l => l.Contains("UML", StringComparison.Ordinal));
        await AssertNothingLeftAsync(imageRef);
    }

    [Fact]
    public async Task Where_no_runtime_can_run_one_error_names_each_runtime_why_and_the_fix()
    {
        // No KVM, a crashing linux.uml, and no QEMU on the search path (nothing but the stand-in).
        var run = await VaultMachine.RunAsync(_docker.Images, _docker.Containers, Run(VaultRuntime.Auto, "locked at start") with
        {
            KvmDevice = _temp.Path("no-kvm"), SearchPath = CrashingUml(),
        }, output.WriteLine);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("# runtime: none", run.StdOut);
        var error = Assert.Single(Tap(run));
        Assert.StartsWith("not ok - vault scenario ran: no runtime can prove the vault on this host: ", error);
        foreach (var expected in new[]
                 {
                     "near-privileged container: ", "(fix: run on a host whose kernel has device-mapper and dm-crypt",
                     "KVM virtual machine: no " + _temp.Path("no-kvm"), "(fix: enable KVM",
                     "User-Mode Linux: linux.uml crashed at a probe boot", "(fix: a host whose CPU runs User-Mode Linux",
                     "emulated virtual machine (TCG): qemu-system-x86_64 is not installed (fix: apt-get install qemu-system-x86)",
                 })
            Assert.Contains(expected, error);
        Assert.DoesNotContain("# vault scenario:", run.StdOut); // a failed proof, never a verdict of its own
    }
}
