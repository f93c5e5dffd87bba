using System.Formats.Tar;
using Strata.Reproducible;
using static Strata.Tests.Reproducible.LayerTars;

namespace Strata.Tests.Reproducible;

public sealed class LayerNormaliserTests
{
    private static readonly DateTimeOffset Old = new(2019, 5, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A layer of a build that ran at <paramref name="when"/>: what apt, dpkg, useradd, Python and npm leave.</summary>
    private static byte[] BuildAt(DateTimeOffset when, string extra = "") => Layer(
        new Entry("etc/", Type: TarEntryType.Directory, Modified: when),
        new Entry("etc/hello", "hello" + extra, when),
        new Entry("etc/shadow", $"root:*:{when.ToUnixTimeSeconds() / 86400}:0:99999:7:::\ndev:!:{when.ToUnixTimeSeconds() / 86400}:0:99999:7:::\n", when),
        new Entry("etc/shadow-", $"root:*:{when.ToUnixTimeSeconds() / 86400}:0:99999:7:::\n", when),
        new Entry("usr/share/doc/jq/copyright", "from the package", Old),
        new Entry("var/log/dpkg.log", $"{when:O} install jq", when),
        new Entry("var/log/apt/", Type: TarEntryType.Directory, Modified: when),
        new Entry("var/log/apt/history.log", $"Start-Date: {when:O}", when),
        new Entry("var/cache/ldconfig/aux-cache", $"{when.Ticks}", when),
        new Entry("var/lib/dpkg/status-old", $"{when.Ticks}", when),
        new Entry("var/cache/debconf/templates.dat-old", $"{when.Ticks}", when),
        new Entry("usr/lib/python3/dist-packages/__pycache__/x.cpython-313.pyc", $"{when.Ticks}", when),
        new Entry("root/.npm/_logs/debug.log", $"{when:O}", when),
        new Entry("home/dev/.npm/_cacache/index", $"{when.Ticks}", when),
        new Entry("usr/bin/ping", "", when, Xattrs: new Dictionary<string, string> { ["SCHILY.xattr.security.capability"] = "\u0001\u0000\u0000\u0002\u0000 " }));

    private static async Task<(NormalisedLayer Layer, byte[] Tar)> NormaliseAsync(byte[] layer)
    {
        using var output = new MemoryStream();
        var normalised = await LayerNormaliser.NormaliseAsync(new MemoryStream(layer), output, default);
        return (normalised, output.ToArray());
    }

    private static List<TarEntry> Entries(byte[] tar)
    {
        var entries = new List<TarEntry>();
        using var reader = new TarReader(new MemoryStream(tar));
        while (reader.GetNextEntry(copyData: true) is { } e) entries.Add(e);
        return entries;
    }

    [Fact]
    public async Task Two_builds_of_the_same_files_at_different_times_give_the_same_layer()
    {
        var (first, _) = await NormaliseAsync(BuildAt(new DateTimeOffset(2026, 12, 7, 21, 0, 0, TimeSpan.Zero)));
        var (second, _) = await NormaliseAsync(BuildAt(new DateTimeOffset(2026, 12, 9, 8, 30, 17, TimeSpan.Zero)));
        Assert.Equal(first.DiffId, second.DiffId);
    }

    [Fact]
    public async Task A_changed_file_still_changes_the_layer()
    {
        var when = new DateTimeOffset(2026, 12, 7, 21, 0, 0, TimeSpan.Zero);
        var (first, _) = await NormaliseAsync(BuildAt(when));
        var (second, _) = await NormaliseAsync(BuildAt(when, extra: "!"));
        Assert.NotEqual(first.DiffId, second.DiffId);
    }

    [Fact]
    public async Task Build_records_are_left_out_times_clamped_older_times_kept_shadow_days_stable()
    {
        var (layer, tar) = await NormaliseAsync(BuildAt(new DateTimeOffset(2026, 12, 7, 21, 0, 0, TimeSpan.Zero)));
        var entries = Entries(tar);
        Assert.Equal(["etc/", "etc/hello", "etc/shadow", "usr/share/doc/jq/copyright", "var/log/apt/", "usr/bin/ping"], entries.Select(e => e.Name));
        Assert.Equal(["etc/shadow-", "var/log/dpkg.log", "var/log/apt/history.log", "var/cache/ldconfig/aux-cache", "var/lib/dpkg/status-old",
            "var/cache/debconf/templates.dat-old", "usr/lib/python3/dist-packages/__pycache__/x.cpython-313.pyc", "root/.npm/_logs/debug.log",
            "home/dev/.npm/_cacache/index"], layer.Dropped);
        Assert.Equal(ReproducibleEpoch.Value, entries[1].ModificationTime);
        Assert.Equal(Old, entries[3].ModificationTime);
        var days = ReproducibleEpoch.Days;
        Assert.Equal($"root:*:{days}:0:99999:7:::\ndev:!:{days}:0:99999:7:::\n", new StreamReader(entries[2].DataStream!).ReadToEnd());
        Assert.Equal("\u0001\u0000\u0000\u0002\u0000 ", Assert.IsType<PaxTarEntry>(entries[5]).ExtendedAttributes["SCHILY.xattr.security.capability"]);
        Assert.All(entries, e => Assert.Equal("", e is PosixTarEntry p ? p.UserName + p.GroupName : ""));
    }

    [Fact]
    public async Task A_hard_link_to_a_file_left_out_goes_too()
    {
        var (layer, tar) = await NormaliseAsync(Layer(
            new Entry("var/log/dpkg.log", "x"),
            new Entry("var/log/copy.log", Type: TarEntryType.HardLink, Link: "var/log/dpkg.log"),
            new Entry("etc/a", "a"),
            new Entry("etc/b", Type: TarEntryType.HardLink, Link: "etc/a")));
        Assert.Equal(["etc/a", "etc/b"], Entries(tar).Select(e => e.Name));
        Assert.Equal(["var/log/dpkg.log", "var/log/copy.log"], layer.Dropped);
    }
}
