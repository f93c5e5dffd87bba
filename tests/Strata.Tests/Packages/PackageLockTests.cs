using Strata.Oci;
using Strata.Packages;
using Strata.Tests.Support;

namespace Strata.Tests.Packages;

public class PackageLockTests
{
    internal static string Sha(char c) => new(c, 64);

    internal static ImagePackages Image(params (string Name, string Version)[] packages) =>
        new(packages.Select(p => p.Name).Take(1).ToList(),
            packages.ToDictionary(p => p.Name, p => new LockedPackage(p.Version, "amd64", Sha(p.Version[0]))));

    internal static PackageLock Lock(params (Platform Platform, string Image, ImagePackages Packages)[] entries) =>
        new(entries.GroupBy(e => e.Platform).ToDictionary(g => g.Key,
            g => new PlatformPackages("20261207T000000Z", g.ToDictionary(e => e.Image, e => e.Packages))));

    [Fact]
    public void It_round_trips_sorted_with_a_trailing_newline_and_saves_atomically()
    {
        var lockFile = Lock(
            (Platform.LinuxArm64, "base", Image(("jq", "1.7"), ("libjq1", "1.7"))),
            (Platform.LinuxAmd64, "gemini", Image(("nodejs", "20.19"))),
            (Platform.LinuxAmd64, "base", Image(("jq", "1.7"))));
        var json = lockFile.ToJson();
        Assert.EndsWith("}\n", json);
        Assert.True(json.IndexOf("linux/amd64", StringComparison.Ordinal) < json.IndexOf("linux/arm64", StringComparison.Ordinal));
        Assert.True(json.IndexOf("\"base\"", StringComparison.Ordinal) < json.IndexOf("\"gemini\"", StringComparison.Ordinal));
        Assert.Equal(json, PackageLock.Parse(json).ToJson());
        Assert.Empty(PackageLock.Changes(lockFile, PackageLock.Parse(json)));

        using var repo = new TempRepo();
        lockFile.Save(repo.Path("packages.lock.json"));
        Assert.Equal(json, File.ReadAllText(repo.Path("packages.lock.json")));
        Assert.Single(Directory.GetFiles(repo.Root)); // no temporary file left beside it
    }

    [Fact]
    public void A_bad_entry_fails_the_save_and_leaves_the_previous_file()
    {
        using var repo = new TempRepo();
        var good = Lock((Platform.LinuxAmd64, "base", Image(("jq", "1.7"))));
        good.Save(repo.Path("packages.lock.json"));
        var bad = new PackageLock(new Dictionary<Platform, PlatformPackages>
        {
            [Platform.LinuxAmd64] = new("20261207T000000Z", new Dictionary<string, ImagePackages>
            {
                ["base"] = new(["jq"], new Dictionary<string, LockedPackage> { ["jq"] = new("1.8", "amd64", "not-a-sha") }),
            }),
        });
        Assert.Throws<InvalidOperationException>(() => bad.Save(repo.Path("packages.lock.json")));
        Assert.Equal(good.ToJson(), File.ReadAllText(repo.Path("packages.lock.json")));
        Assert.Single(Directory.GetFiles(repo.Root));
    }

    [Theory]
    [InlineData("{\"version\": 2, \"platforms\": {}}", "must have \"version\": 1")]
    [InlineData("{\"version\": 1, \"platforms\": {\"linux/x\": {}}}", "unknown architecture 'x'")]
    [InlineData("{\"version\": 1, \"extra\": 1}", "unknown key \"extra\"")]
    [InlineData("{\"version\": 1, \"platforms\": {\"linux/amd64\": {\"resolved\": \"t\", \"images\": {\"base\": {\"packages\": {}}}}}}", "must have \"requested\"")]
    [InlineData("{\"version\": 1, \"platforms\": {\"linux/amd64\": {\"resolved\": \"t\", \"images\": {\"base\": {\"requested\": [\"jq\"], \"packages\": {\"jq\": {\"version\": \"1\", \"architecture\": \"amd64\", \"sha256\": \"ABC\"}}}}}}}", "sha256 'ABC' is not 64 lower-case hex digits")]
    [InlineData("{\"version\": 1,", "not valid JSON")]
    public void A_malformed_lock_is_an_error_naming_the_file_and_the_entry(string json, string message)
    {
        var e = Assert.Throws<StrataConfigException>(() => PackageLock.Parse(json));
        Assert.StartsWith("packages.lock.json:", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Changes_name_the_platform_the_image_and_the_package()
    {
        var before = Lock((Platform.LinuxAmd64, "base", Image(("jq", "1.7"), ("tree", "2.1"))), (Platform.LinuxArm64, "base", Image(("jq", "1.7"))));
        var after = Lock((Platform.LinuxAmd64, "base", Image(("jq", "1.8"), ("zoxide", "0.9"))), (Platform.LinuxArm64, "base", Image(("jq", "1.7"))));
        var changes = PackageLock.Changes(before, after);
        Assert.Equal(
            ["linux/amd64 base jq 1.7 -> 1.8", "linux/amd64 base tree 2.1 -> -", "linux/amd64 base zoxide - -> 0.9"],
            changes.Select(c => $"{c.Platform} {c.Image} {c.Package} {c.Old?.Version ?? "-"} -> {c.Now?.Version ?? "-"}"));
    }

    [Fact]
    public void A_missing_file_is_an_empty_lock() =>
        Assert.Empty(PackageLock.Load(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "packages.lock.json")).Platforms);
}
