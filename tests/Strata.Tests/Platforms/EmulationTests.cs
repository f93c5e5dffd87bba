using Strata.Oci;
using Strata.Platforms;
using Strata.Tests.Support;

namespace Strata.Tests.Platforms;

/// <summary>The emulation gate on a stand-in binfmt_misc folder: a foreign platform without its emulator fails before any build, with the fix.</summary>
public sealed class EmulationTests : IDisposable
{
    private readonly TempRepo _binfmt = new();

    public void Dispose() => _binfmt.Dispose();

    private void Require(params Platform[] platforms) => Emulation.Require(platforms, Platform.LinuxAmd64, _binfmt.Root);

    [Fact]
    public void The_native_platform_needs_no_emulation()
    {
        Require(Platform.LinuxAmd64); // not even binfmt_misc mounted
    }

    [Fact]
    public void Unmounted_binfmt_misc_is_an_error_with_the_mount_and_the_packages()
    {
        var e = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxAmd64, Platform.LinuxArm64));

        Assert.Contains("linux/arm64", e.Message);
        Assert.Contains("binfmt_misc is not mounted", e.Message);
        Assert.Contains("apt-get install qemu-user-static binfmt-support", e.Message);
        Assert.Contains("mount -t binfmt_misc", e.Message);
    }

    [Fact]
    public void A_missing_or_disabled_emulator_is_an_error_naming_update_binfmts()
    {
        _binfmt.Write("status", "enabled\n");
        var missing = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxArm64));
        Assert.Contains("no qemu-aarch64 emulator is registered", missing.Message);
        Assert.Contains("update-binfmts --enable qemu-aarch64", missing.Message);

        _binfmt.Write("qemu-aarch64", "disabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n");
        var disabled = Assert.Throws<EmulationMissingException>(() => Require(Platform.LinuxArm64));
        Assert.Contains("registered with binfmt_misc but disabled", disabled.Message);

        _binfmt.Write("qemu-aarch64", "enabled\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\n");
        Require(Platform.LinuxAmd64, Platform.LinuxArm64);
    }
}
