using System.Text.Json.Nodes;
using Strata.Downloads;
using Strata.GitHub;
using Strata.Tests.Support;
using Strata.Tools;
using Xunit;

namespace Strata.Tests.Tools;

/// <summary>Pins a small tools.yaml against the stand-in GitHub and download server.</summary>
public sealed class PinnerTests : IAsyncLifetime
{
    private StandInServer _server = null!;
    private readonly TempRepo _temp = new();
    private readonly HttpClient _http = new();
    private readonly List<string> _log = [];
    private readonly Dictionary<string, byte[]> _files = [];

    public async Task InitializeAsync()
    {
        _server = await StandInServer.StartAsync();
        File.WriteAllText(_temp.Path("tools.yaml"), $$"""
            tools:
            {{Fixtures.HelmTool(_server.BaseUrl, "[3.19.0,4.0.0)")}}
              - name: infisical
                repository: Infisical/infisical
                tag_prefix: infisical-cli/v
                image: base
                asset: infisical_{version}_linux_{arch}.tar.gz
                format: tar.gz
                binary: infisical
                sha256: { checksums_file: checksums.txt }
              - name: yazi
                repository: sxyazi/yazi
                image: base
                asset: yazi-{arch}-unknown-linux-gnu.zip
                arch_names: { amd64: x86_64, arm64: aarch64 }
                format: zip
                binary: yazi-{arch}-unknown-linux-gnu/yazi
                sha256: digest
              - name: gemini-cli
                kind: npm
                repository: google-gemini/gemini-cli
                package: "@google/gemini-cli"
                image: gemini
            """);

        ServeHelm("3.19.1");
        Releases("helm/helm",
            Fixtures.Release("v4.0.0"),                                  // outside the range
            Fixtures.Release("v3.20.0-rc.1", prerelease: true),
            Fixtures.Release("v3.19.9", draft: true),
            Fixtures.Release("v3.19.1"),
            Fixtures.Release("v3.18.6"));

        // Infisical's monorepo: the CLI's tags among other products' tags with higher numbers.
        var cliAmd = Bin("infisical-amd64", Fixtures.TarGz(("infisical", Fixtures.Bytes("infisical amd64"))));
        var cliArm = Bin("infisical-arm64", Fixtures.TarGz(("infisical", Fixtures.Bytes("infisical arm64"))));
        var sums = $"""
            {new string('0', 64)}  infisical_0.31.1_linux_amd64.tar.gz.sbom
            {Fixtures.Sha256(cliAmd)}  infisical_0.31.1_linux_amd64.tar.gz
            {new string('1', 64)}  infisical_0.31.1_linux_arm64.tar.gz.sbom
            {Fixtures.Sha256(cliArm)}  infisical_0.31.1_linux_arm64.tar.gz

            """;
        Releases("Infisical/infisical",
            Fixtures.Release("infisical/v0.99.0-postgres"),
            Fixtures.Release("k8-operator/v1.2.0"),
            Fixtures.Release("infisical-cli/v0.31.1", false, false,
                Asset("infisical_0.31.1_linux_amd64.tar.gz", "infisical-amd64"),
                Asset("infisical_0.31.1_linux_arm64.tar.gz", "infisical-arm64"),
                Fixtures.Asset("checksums.txt", _server.Url("/dl/infisical-sums"))),
            Fixtures.Release("infisical-cli/v0.30.0"));
        _server.Text("/dl/infisical-sums", sums.ReplaceLineEndings("\n"));

        // yazi: amd64 has a GitHub digest, arm64 (an older upload) has none and is hashed.
        Bin("yazi-amd64", Fixtures.Zip(("yazi-x86_64-unknown-linux-gnu/yazi", Fixtures.Bytes("yazi amd64"))));
        Bin("yazi-arm64", Fixtures.Zip(("yazi-aarch64-unknown-linux-gnu/yazi", Fixtures.Bytes("yazi arm64")),
            ("yazi-aarch64-unknown-linux-gnu/ya", Fixtures.Bytes("ya arm64"))));
        Releases("sxyazi/yazi",
            Fixtures.Release("nightly", prerelease: true),
            Fixtures.Release("v25.5.31", false, false,
                Asset("yazi-x86_64-unknown-linux-gnu.zip", "yazi-amd64"),
                Asset("yazi-aarch64-unknown-linux-gnu.zip", "yazi-arm64", digest: false)),
            Fixtures.Release("v25.4.8"));

        Releases("google-gemini/gemini-cli",
            Fixtures.Release("v0.62.0-nightly.20260101.gabc1234", prerelease: true),
            Fixtures.Release("v0.62.0-preview.1", prerelease: true),
            Fixtures.Release("v0.61.0"));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _temp.Dispose();
    }

    private byte[] Bin(string name, byte[] content)
    {
        _files[name] = content;
        _server.Bytes("/dl/" + name, content);
        return content;
    }

    private JsonObject Asset(string name, string file, bool digest = true) =>
        Fixtures.Asset(name, _server.Url("/dl/" + file), _files[file], digest);

    private void Releases(string repo, params JsonObject[] releases) =>
        _server.Json($"/repos/{repo}/releases?per_page=100", Fixtures.Releases(releases));

    private void ServeHelm(string version)
    {
        foreach (var arch in new[] { "amd64", "arm64" })
        {
            var name = $"helm-v{version}-linux-{arch}.tar.gz";
            var content = Fixtures.TarGz(($"linux-{arch}/helm", Fixtures.Bytes($"helm {version} {arch}")));
            _files[name] = content;
            _server.Bytes("/helm/" + name, content);
            // amd64 in sha256sum form, arm64 hex only: both forms exist on get.helm.sh.
            _server.Text($"/helm/{name}.sha256sum", arch == "amd64" ? $"{Fixtures.Sha256(content)}  {name}\n" : Fixtures.Sha256(content) + "\n");
        }
    }

    private async Task<PinResult> Pin(bool check = false, string? tool = null)
    {
        using var github = new GitHubApi(new GitHubClientOptions
        {
            ApiBaseUrl = new Uri(_server.BaseUrl),
            MaxRetries = 1,
            RetryDelay = TimeSpan.Zero,
        });
        using var cache = new AssetCache(_temp.Path("cache"), http: _http);
        var pinner = new Pinner(new GitHubReleasesClient(github), cache, _http, _log.Add);
        return await pinner.PinAsync(new PinOptions
        {
            ToolsPath = _temp.Path("tools.yaml"),
            LockPath = _temp.Path("tools.lock.json"),
            Check = check,
            Tool = tool,
        });
    }

    [Fact]
    public async Task Pins_the_newest_allowed_version_of_every_tool_with_each_architectures_sha256()
    {
        var result = await Pin();

        Assert.True(result.Changed);
        Assert.True(result.Written);
        var saved = ToolLock.Load(_temp.Path("tools.lock.json"));
        Assert.Equal(result.Lock.ToJson(), saved.ToJson());

        var helm = saved.Get("helm");
        Assert.Equal(("3.19.1", "v3.19.1"), (helm.Version, helm.Tag));
        Assert.Equal(_server.Url("/helm/helm-v3.19.1-linux-arm64.tar.gz"), helm.Assets["arm64"].Url);
        Assert.Equal(Fixtures.Sha256(_files["helm-v3.19.1-linux-amd64.tar.gz"]), helm.Assets["amd64"].Sha256);
        Assert.Equal(Fixtures.Sha256(_files["helm-v3.19.1-linux-arm64.tar.gz"]), helm.Assets["arm64"].Sha256);

        var infisical = saved.Get("infisical");
        Assert.Equal(("0.31.1", "infisical-cli/v0.31.1"), (infisical.Version, infisical.Tag));
        Assert.Equal(Fixtures.Sha256(_files["infisical-amd64"]), infisical.Assets["amd64"].Sha256);
        Assert.Equal(Fixtures.Sha256(_files["infisical-arm64"]), infisical.Assets["arm64"].Sha256);

        var yazi = saved.Get("yazi");
        Assert.Equal("25.5.31", yazi.Version);
        Assert.Equal(Fixtures.Sha256(_files["yazi-amd64"]), yazi.Assets["amd64"].Sha256);
        Assert.Equal(Fixtures.Sha256(_files["yazi-arm64"]), yazi.Assets["arm64"].Sha256); // hashed: no digest
        Assert.Equal(0, _server.Count("/dl/yazi-amd64")); // the digest was enough
        Assert.Equal(1, _server.Count("/dl/yazi-arm64"));
        Assert.Equal("asset digest", result.Sources["yazi"].Sha256From["amd64"]);
        Assert.Equal("downloaded and hashed (no asset digest)", result.Sources["yazi"].Sha256From["arm64"]);
        Assert.Equal("checksums.txt", result.Sources["infisical"].Sha256From["arm64"]);

        var gemini = saved.Get("gemini-cli");
        Assert.Equal(("0.61.0", "v0.61.0"), (gemini.Version, gemini.Tag));
        Assert.Empty(gemini.Assets);
        Assert.DoesNotContain("\"assets\"", saved.ToJson().Split("\"gemini-cli\"")[1].Split("\"helm\"")[0]);
    }

    [Fact]
    public async Task Pinning_twice_against_the_same_server_gives_a_byte_identical_lock()
    {
        await Pin();
        var first = File.ReadAllBytes(_temp.Path("tools.lock.json"));
        var again = await Pin();
        Assert.False(again.Changed);
        Assert.False(again.Written);
        Assert.Equal("", again.Diff);
        Assert.Equal(first, File.ReadAllBytes(_temp.Path("tools.lock.json")));
        Assert.Equal((byte)'\n', first[^1]);
    }

    [Fact]
    public async Task Check_mode_reports_a_stale_lock_with_a_diff_and_writes_nothing()
    {
        await Pin();
        var before = File.ReadAllBytes(_temp.Path("tools.lock.json"));
        ServeHelm("3.19.2");
        Releases("helm/helm", Fixtures.Release("v3.19.2"), Fixtures.Release("v3.19.1"));

        var check = await Pin(check: true);

        Assert.True(check.Changed);
        Assert.False(check.Written);
        Assert.Equal(before, File.ReadAllBytes(_temp.Path("tools.lock.json")));
        Assert.Contains("~ helm 3.19.1 -> 3.19.2 (v3.19.1 -> v3.19.2)", check.Diff);
        Assert.Contains($"amd64 sha256: {Fixtures.Sha256(_files["helm-v3.19.1-linux-amd64.tar.gz"])} -> {Fixtures.Sha256(_files["helm-v3.19.2-linux-amd64.tar.gz"])}", check.Diff);
        Assert.DoesNotContain("yazi", check.Diff);
        Assert.Contains(_log, l => l.Contains("is stale"));
        Assert.Equal("https://github.com/o/r/releases/tag/v3.19.2", check.Sources["helm"].ReleaseUrl);
        Assert.Equal("helm-v3.19.2-linux-amd64.tar.gz.sha256sum", check.Sources["helm"].Sha256From["amd64"]);
    }

    [Fact]
    public async Task The_pin_command_in_check_mode_prints_the_diff_once_and_fails()
    {
        await Pin();
        ServeHelm("3.19.2");
        Releases("helm/helm", Fixtures.Release("v3.19.2"), Fixtures.Release("v3.19.1"));
        var output = new List<string>();

        var e = await Assert.ThrowsAsync<StrataConfigException>(() => PinCommand.RunAsync(new PinCommandOptions
        {
            ToolsPath = _temp.Path("tools.yaml"),
            LockPath = _temp.Path("tools.lock.json"),
            Check = true,
            GitHubApi = _server.BaseUrl,
            CacheDirectory = _temp.Path("strata-cache"),
        }, output.Add));

        Assert.Contains("is stale (diff above)", e.Message);
        var printed = string.Join("\n", output);
        Assert.Equal(1, printed.Split("~ helm 3.19.1 -> 3.19.2").Length - 1);
    }

    [Fact]
    public async Task Check_mode_against_a_missing_lock_lists_every_tool_as_new()
    {
        var check = await Pin(check: true);
        Assert.True(check.Changed);
        Assert.False(File.Exists(_temp.Path("tools.lock.json")));
        Assert.Contains("+ gemini-cli 0.61.0 (v0.61.0)", check.Diff);
        Assert.Contains("+ yazi 25.5.31 (v25.5.31)", check.Diff);
    }

    [Fact]
    public async Task Pinning_one_tool_leaves_the_others_as_they_were()
    {
        await Pin();
        ServeHelm("3.19.2");
        Releases("helm/helm", Fixtures.Release("v3.19.2"));
        Releases("google-gemini/gemini-cli", Fixtures.Release("v0.63.0"));

        var result = await Pin(tool: "helm");

        Assert.Equal("3.19.2", result.Lock.Get("helm").Version);
        Assert.Equal("0.61.0", result.Lock.Get("gemini-cli").Version);
        Assert.Equal(1, _server.Count("/repos/google-gemini/gemini-cli/releases?per_page=100")); // only by the first, full pin
        await Assert.ThrowsAsync<StrataConfigException>(() => Pin(tool: "nope"));
    }

    [Fact]
    public async Task No_release_in_range_is_an_error_naming_tool_repository_and_range()
    {
        Releases("helm/helm", Fixtures.Release("v4.0.0"), Fixtures.Release("v3.20.0-rc.1", prerelease: true));
        var e = await Assert.ThrowsAsync<StrataConfigException>(() => Pin(tool: "helm"));
        Assert.Contains("tool 'helm'", e.Message);
        Assert.Contains("helm/helm", e.Message);
        Assert.Contains("[3.19.0, 4.0.0)", e.Message);
        Assert.False(File.Exists(_temp.Path("tools.lock.json")));
    }

    [Fact]
    public async Task A_checksums_file_without_the_exact_asset_name_is_an_error()
    {
        _server.Text("/dl/infisical-sums", $"{new string('0', 64)}  infisical_0.31.1_linux_amd64.tar.gz.sbom\n");
        var e = await Assert.ThrowsAsync<StrataConfigException>(() => Pin(tool: "infisical"));
        Assert.Contains("checksums.txt lists no file named exactly 'infisical_0.31.1_linux_amd64.tar.gz'", e.Message);
    }

    [Fact]
    public async Task The_pinned_binary_is_fetched_verified_and_placed_with_mode_0755()
    {
        await Pin();
        var tools = ToolsFile.Load(_temp.Path("tools.yaml"));
        var locked = ToolLock.Load(_temp.Path("tools.lock.json"));
        using var cache = new AssetCache(_temp.Path("cache"), http: _http);

        foreach (var (tool, arch, expected) in new[] { ("yazi", "arm64", "yazi arm64"), ("helm", "amd64", "helm 3.19.1 amd64"), ("infisical", "arm64", "infisical arm64") })
        {
            var path = await ToolInstaller.PlaceAsync((BinaryTool)tools.Get(tool), locked, arch, cache, _temp.Path($"context/{arch}/{tool}"));
            Assert.Equal(expected, File.ReadAllText(path));
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(path));
        }
        Assert.Equal(1, _server.Count("/dl/yazi-arm64")); // hashed while pinning, served from the cache since
    }
}
