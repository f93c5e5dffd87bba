using System.Text;
using Strata.Packages;

namespace Strata.Tests.Packages;

public class AptContextTests
{
    private static readonly Dictionary<string, LockedPackage> Locked = new()
    {
        ["jq"] = new("1.7.1-6+deb13u4", "amd64", new string('1', 64)),
        ["libjq1"] = new("1.7.1-6+deb13u4", "amd64", new string('2', 64)),
    };

    private static string Text(IReadOnlyList<Strata.Keys.GeneratedFile> files, string name) =>
        Encoding.UTF8.GetString(files.Single(f => f.ContextPath == $".strata/apt/{name}").Content);

    [Fact]
    public void Only_the_locked_versions_have_a_candidate_and_every_deb_is_checked()
    {
        var (files, directories) = AptContext.For(["deb http://deb.debian.org/debian trixie main"], Locked);
        var preferences = Text(files, "preferences");
        // The parent's installed versions first (a named package the parent has stays), then no candidate for the rest.
        Assert.Contains("Package: *\nPin: release a=now\nPin-Priority: 100\n\nPackage: *\nPin: release *\nPin-Priority: -1\n", preferences);
        Assert.Contains("Package: jq\nPin: version 1.7.1-6+deb13u4\nPin-Priority: 1001\n", preferences);
        Assert.Equal($"jq 1.7.1-6+deb13u4 amd64 {new string('1', 64)}\nlibjq1 1.7.1-6+deb13u4 amd64 {new string('2', 64)}\n", Text(files, "locked.list"));
        var conf = Text(files, "apt.conf");
        Assert.Contains("DPkg::Pre-Install-Pkgs { \"/usr/local/share/strata/apt/verify-debs\"; };", conf);
        Assert.Contains("Dir::Etc::SourceParts \"/usr/local/share/strata/apt/sources.list.d\";", conf);
        Assert.Equal("deb http://deb.debian.org/debian trixie main\n", Text(files, "sources.list"));
        Assert.True(files.Single(f => f.ContextPath.EndsWith("verify-debs")).Executable);
        Assert.Equal([".strata/apt/sources.list.d", ".strata/apt/preferences.d"], directories);
    }

    [Fact]
    public void A_snapshot_reads_each_archive_at_the_time_the_lock_was_resolved()
    {
        var sources = AptContext.Snapshot(
            ["deb http://deb.debian.org/debian trixie main", "deb [arch=amd64] http://deb.debian.org/debian-security/ trixie-security main contrib"],
            new Uri("https://snapshot.debian.org"), "20261207T183217Z");
        Assert.Equal(
        [
            "deb [check-valid-until=no] https://snapshot.debian.org/archive/debian/20261207T183217Z/ trixie main",
            "deb [arch=amd64 check-valid-until=no] https://snapshot.debian.org/archive/debian-security/20261207T183217Z/ trixie-security main contrib",
        ], sources);
    }
}
