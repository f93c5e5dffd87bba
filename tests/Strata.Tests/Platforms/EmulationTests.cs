using Strata.Oci;
using Strata.Platforms;
using Strata.Tests.Support;
using Strata.Tests.Support.Fakes;

namespace Strata.Tests.Platforms;

/// <summary>
/// The emulation gate on an in-memory binfmt_misc (and once on a stand-in folder): a foreign platform without its emulator,
/// or with one that ignores set-uid, fails before any build with the fix, unless the gate may register it again with C.
/// </summary>
public sealed class EmulationTests
{
    private readonly FakeBinfmtMisc _binfmt = new();
    private readonly List<string> _log = [];

    private void Require(params Platform[] platforms) => Emulation.Require(platforms, Platform.LinuxAmd64, _binfmt, _log.Add);

    [Fact]
    public void The_native_platform_needs_no_emulation()
    {
        _binfmt.Mounted = false;
        Require(Platform.LinuxAmd64);
    }

    [Fact]
    public void Unmounted_binfmt_misc_is_an_error_with_the_mount_and_the_packages()
    {
        _binfmt.Mounted = false;
        var e = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxAmd64, Platform.LinuxArm64));

        Assert.Contains("linux/arm64", e.Message);
        Assert.Contains("binfmt_misc is not mounted", e.Message);
        Assert.Contains("apt-get install qemu-user-static binfmt-support", e.Message);
        Assert.Contains("mount -t binfmt_misc", e.Message);
    }

    [Fact]
    public void A_missing_or_disabled_emulator_is_an_error_naming_update_binfmts()
    {
        var missing = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxArm64));
        Assert.Contains("no qemu-aarch64 emulator is registered", missing.Message);
        Assert.Contains("update-binfmts --enable qemu-aarch64", missing.Message);

        _binfmt.WithAarch64("POCF", enabled: false);
        var disabled = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxArm64));
        Assert.Contains("registered with binfmt_misc but disabled", disabled.Message);

        _binfmt.WithAarch64("POCF");
        Require(Platform.LinuxAmd64, Platform.LinuxArm64);
        Assert.Empty(_binfmt.Registrations);
        Assert.Empty(_log);
    }

    [Fact]
    public void An_emulator_without_C_is_registered_again_with_it_and_the_log_says_so()
    {
        _binfmt.WithAarch64("PF");

        Require(Platform.LinuxArm64);

        Assert.True(_binfmt.Entries["qemu-aarch64"].HonoursSetuid);
        Assert.Single(_binfmt.Registrations, r => r.EndsWith(":/usr/libexec/qemu-binfmt/aarch64-binfmt-P:PFC"));
        Assert.Contains(_log, l => l.Contains("qemu-aarch64") && l.Contains("'PF', without C") && l.Contains("again with flags 'PFC'"));
    }

    [Fact]
    public void Where_it_may_not_register_the_run_stops_before_building_with_the_exact_command()
    {
        _binfmt.WithAarch64("PF").MayRegister = false;

        var e = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxArm64));

        Assert.Contains("without C", e.Message);
        Assert.Contains("sudo", e.Message);
        Assert.Contains(@"echo -1 > /proc/sys/fs/binfmt_misc/qemu-aarch64 && echo ':qemu-aarch64:M:0:\x7f\x45", e.Message);
        Assert.Contains(@":/usr/libexec/qemu-binfmt/aarch64-binfmt-P:PFC' > /proc/sys/fs/binfmt_misc/register", e.Message);
        Assert.Equal("PF", _binfmt.Entries["qemu-aarch64"].Flags);
    }

    [Fact]
    public void A_kernel_that_does_not_keep_C_stops_the_run()
    {
        _binfmt.WithAarch64("PF").DropsSetuid = true;

        var e = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxArm64));

        Assert.Contains("the kernel did not keep the C flag", e.Message);
        Assert.Empty(_log);
    }

    [Fact]
    public void The_kernel_files_are_read_as_binfmt_misc_prints_them()
    {
        using var folder = new TempRepo();
        var kernel = new KernelBinfmtMisc(folder.Root);
        Assert.False(kernel.Mounted);

        folder.Write("status", "enabled\n").Write("qemu-aarch64", BinfmtEntryTests.Aarch64("POCF"));
        Assert.True(kernel.Mounted);
        Assert.True(kernel.Find("qemu-aarch64")!.HonoursSetuid);
        Assert.Null(kernel.Find("qemu-riscv64"));
        Emulation.Require([Platform.LinuxArm64], Platform.LinuxAmd64, kernel, _log.Add);
    }

    [Fact]
    public void A_registration_that_fails_because_another_run_added_C_meanwhile_is_no_error()
    {
        _binfmt.WithAarch64("PF").MayRegister = false;
        _binfmt.OnRefusal = () => _binfmt.WithAarch64("POCF"); // the other run's registration

        Require(Platform.LinuxArm64);

        Assert.True(_binfmt.Entries["qemu-aarch64"].HonoursSetuid);
    }
}
