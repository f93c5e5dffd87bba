using Strata.Images;
using Strata.Pipeline;
using Strata.Tests.Support;

namespace Strata.Tests.Pipeline;

public sealed class RunOptionsTests
{
    private static RunOptions Parse(Dictionary<string, string?> environment, params string[] args) =>
        RunOptions.From("/repo", CommandLines.Of(environment, args));

    private static RunOptions Parse(params string[] args) => Parse(new Dictionary<string, string?> { ["XDG_CACHE_HOME"] = "/xdg" }, args);

    [Fact]
    public void Defaults_are_the_repository_files_the_xdg_cache_and_auto_host_ca()
    {
        var options = Parse();
        Assert.Equal("/repo/strata.yaml", options.ConfigPath);
        Assert.Equal("/repo/tools.yaml", options.ToolsPath);
        Assert.Equal("/repo/tools.lock.json", options.LockPath);
        Assert.Equal("/repo/artifacts", options.ArtifactsDirectory);
        Assert.Equal("/xdg/strata", options.CacheDirectory);
        Assert.Equal(HostCaMode.Auto, options.HostCa);
        Assert.False(options.SkipBinaryTools);
        Assert.Null(options.Mirror);
    }

    [Fact]
    public void Values_flags_and_the_mirror_from_the_environment_are_read()
    {
        var options = Parse(new Dictionary<string, string?> { ["STRATA_MIRROR"] = "https://mirror.example/strata" },
            "target=plan", "config=other.yaml", "cache-dir=/tmp/c", "host-ca=off", "network=host", "skip-tools", "revision=abc");
        Assert.Equal("/repo/other.yaml", options.ConfigPath);
        Assert.Equal("/tmp/c", options.CacheDirectory);
        Assert.Equal(HostCaMode.Off, options.HostCa);
        Assert.Equal("host", options.Network);
        Assert.True(options.SkipBinaryTools);
        Assert.Equal("abc", options.Revision);
        Assert.Equal(new Uri("https://mirror.example/strata/"), options.Mirror);
        // The command line wins over the environment.
        Assert.Equal(new Uri("https://other.example/"), Parse(new Dictionary<string, string?> { ["STRATA_MIRROR"] = "https://mirror.example" },
            "mirror=https://other.example").Mirror);
    }

    [Fact]
    public void Bad_values_say_what_the_option_takes()
    {
        var mirror = Assert.Throws<OptionException>(() => Parse("mirror=not a url"));
        Assert.Contains("--mirror (or STRATA_MIRROR) 'not a url' is not an absolute http(s) or file URL", mirror.Message);
        var hostCa = Assert.Throws<ArgumentException>(() => Parse("host-ca=maybe"));
        Assert.Contains("--host-ca must be auto, on or off, not 'maybe'", hostCa.Message);
        var runtime = Assert.Throws<OptionException>(() => Parse("vault-runtime=qemu"));
        Assert.Contains("--vault-runtime=qemu: give auto (what works here, fastest first: a container, a KVM virtual machine, User-Mode Linux, " +
                        "an emulated virtual machine), container, vm (QEMU: KVM, else emulation) or uml.", runtime.Message);
        Assert.Equal(Strata.Smoke.VaultRuntime.Vm, Parse("vault-runtime=vm").VaultRuntime);
    }

    [Fact]
    public void The_platform_selection_is_read_and_a_bad_one_is_an_option_error()
    {
        Assert.Null(Parse().Platforms);
        var options = Parse("platform=linux/arm64,linux/amd64");
        Assert.Equal(new Strata.Platforms.PlatformSelection.Listed([Strata.Oci.Platform.LinuxArm64, Strata.Oci.Platform.LinuxAmd64]), options.Platforms);
        Assert.IsType<Strata.Platforms.PlatformSelection.All>(Parse("platform=all").Platforms);

        var e = Assert.Throws<OptionException>(() => Parse("platform=arm64"));
        Assert.Contains("--platform=arm64", e.Message);
    }
}
