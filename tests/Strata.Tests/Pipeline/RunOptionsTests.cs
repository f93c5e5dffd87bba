using Strata.Images;
using Strata.Pipeline;

namespace Strata.Tests.Pipeline;

public sealed class RunOptionsTests
{
    private static RunOptions Parse(Dictionary<string, string?> environment, params string[] args)
    {
        var arguments = new Dictionary<string, ICollection<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var arg in args)
        {
            var (name, value) = arg.Split('=', 2) is [var n, var v] ? (n, v) : (arg, "");
            if (!arguments.TryGetValue(name, out var values)) arguments[name] = values = new List<string>();
            values.Add(value);
        }
        return RunOptions.FromArguments("/repo", arguments, n => environment.GetValueOrDefault(n));
    }

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
        Assert.Empty(options.UnknownOptions);
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
    public void Typos_are_reported_and_bad_values_say_what_the_option_takes()
    {
        Assert.Equal(["skip-tool"], Parse("skip-tool", "target=images").UnknownOptions);
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
    public void The_vault_scenario_options_are_read()
    {
        Assert.Equal((Strata.Smoke.VaultRuntime.Auto, null, null, false, null, false),
            Parse() is var d ? (d.VaultRuntime, d.Image, d.VaultChecks, d.VaultChecksAlone, d.VaultOverride, d.VaultBench) : default);
        var options = Parse("target=vault-scenario", "vault-runtime=UML", "image=k8s", "vault-checks=two unlocks|lock", "vault-checks-alone",
            "vault-override=/tmp/vault", "vault-bench");
        Assert.Equal((Strata.Smoke.VaultRuntime.Uml, "k8s", "two unlocks|lock", true, "/tmp/vault", true),
            (options.VaultRuntime, options.Image, options.VaultChecks, options.VaultChecksAlone, options.VaultOverride, options.VaultBench));
        Assert.Empty(options.UnknownOptions);
    }

    [Fact]
    public void The_test_filter_is_read_and_is_no_typo()
    {
        Assert.Null(Parse("target=test").TestFilter);
        var options = Parse("target=test", "filter=Needs!=Engine");
        Assert.Equal("Needs!=Engine", options.TestFilter);
        Assert.Empty(options.UnknownOptions);
    }

    [Fact]
    public void The_platform_selection_is_read_and_a_bad_one_is_an_option_error()
    {
        Assert.Null(Parse().Platforms);
        var options = Parse("platform=linux/arm64,linux/amd64");
        Assert.Equal(new Strata.Platforms.PlatformSelection.Listed([Strata.Oci.Platform.LinuxArm64, Strata.Oci.Platform.LinuxAmd64]), options.Platforms);
        Assert.Empty(options.UnknownOptions);
        Assert.IsType<Strata.Platforms.PlatformSelection.All>(Parse("platform=all").Platforms);

        var e = Assert.Throws<OptionException>(() => Parse("platform=arm64"));
        Assert.Contains("--platform=arm64", e.Message);
    }
}
