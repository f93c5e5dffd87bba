using System.Text.Json.Nodes;
using Strata.Bumps;
using Strata.Downloads;
using Strata.GitHub;
using Strata.Oci;
using Strata.Packages;
using Strata.Tests.GitHub;
using Strata.Tests.Support;
using Strata.Tools;
using Xunit;
using Xunit.Abstractions;

namespace Strata.Tests.Bumps;

/// <summary>The bump-pr target against a stand-in GitHub (releases, downloads and a repository with state) on 127.0.0.1.</summary>
public sealed class BumpPullRequestTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Token = "ghs_SECRETinstallationToken0123456789ab";
    private const string Branch = "heads/strata/tool-bumps";
    private StandInServer _server = null!;
    private StandInRepository _repo = null!;
    private readonly TempRepo _checkout = new();
    private readonly TempRepo _cache = new();
    private readonly HttpClient _http = new();
    private readonly List<string> _log = [];
    private readonly Dictionary<string, byte[]> _published = [];

    /// <summary>A release archive, made once: a version re-published later is the same bytes (tar entries carry a time).</summary>
    private byte[] Archive(string inside, string text) =>
        _published.TryGetValue(text, out var bytes) ? bytes : _published[text] = Fixtures.TarGz((inside, Fixtures.Bytes(text)));

    public async Task InitializeAsync()
    {
        _server = await StandInServer.StartAsync();
        _checkout.Write("Dockerfiles/Dockerfile.base", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY .strata/apt/ /usr/local/share/strata/apt/\n" +
                "ARG APT_CONFIG=/usr/local/share/strata/apt/apt.conf\nRUN apt-get update && apt-get install -y jq\n")
            .Write("packages.lock.json", PackagesWithJq("1.7.1-6").ToJson())
            .Write($"{NpmLock.Folder("gemini-cli")}/{NpmLock.ManifestName}", "{}\n")
            .Write($"{NpmLock.Folder("gemini-cli")}/{NpmLock.LockName}", """{"packages": {"node_modules/@google/gemini-cli": {"version": "0.61.0"}}}""" + "\n")
            .Write("Dockerfiles/Dockerfile.k8s", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nCOPY .strata/tools/ /usr/local/bin/\n")
            .Write("Dockerfiles/Dockerfile.gemini", "ARG PARENT_IMAGE\nFROM ${PARENT_IMAGE}\nARG GEMINI_CLI_VERSION\n")
            .Write("strata.yaml", """
                repository: strata-test/bump
                base_os:
                  image: "debian:trixie-slim@sha256:d7e12182ce18b85b93007c1dedf31f2d29e01ccf3182cc4017c709b6259bc132"
                  debootstrap: { suite: trixie, variant: minbase, mirror: "http://deb.debian.org/debian" }
                images:
                  - { name: base, dockerfile: Dockerfiles/Dockerfile.base }
                  - { name: k8s, parent: base, dockerfile: Dockerfiles/Dockerfile.k8s }
                  - { name: gemini, parent: base, dockerfile: Dockerfiles/Dockerfile.gemini }
                """)
            .Write("tools.yaml", $$"""
                tools:
                {{Fixtures.HelmTool(_server.BaseUrl, "[3.0.0,4.0.0)")}}
                  - name: k9s
                    repository: derailed/k9s
                    image: k8s
                    asset: k9s_Linux_{arch}.tar.gz
                    format: tar.gz
                    binary: k9s
                    sha256: { checksums_file: checksums.sha256 }
                  - name: gemini-cli
                    kind: npm
                    repository: google-gemini/gemini-cli
                    package: "@google/gemini-cli"
                    image: gemini
                """);
        Upstream(helm: ["3.19.2"], k9s: ["0.50.1"]);
        Releases("google-gemini/gemini-cli", Fixtures.Release("v0.61.0"));
        var before = await PinnedLockAsync();
        _repo = new StandInRepository(_server, "acme/workstation",
            new Dictionary<string, string> { ["tools.lock.json"] = before, ["README.md"] = "# workstation\n" });
        Upstream(helm: ["3.19.4", "3.19.2"], k9s: ["0.50.2", "0.50.1"]);
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _http.Dispose();
        _checkout.Dispose();
        _cache.Dispose();
    }

    private void Releases(string repository, params JsonObject[] releases) =>
        _server.Json($"/repos/{repository}/releases?per_page=100", Fixtures.Releases(releases));

    /// <summary>Publishes helm (sha256 files beside the downloads) and k9s (a checksums asset) in these versions.</summary>
    private void Upstream(string[] helm, string[] k9s)
    {
        foreach (var version in helm)
            foreach (var arch in ToolSpec.Architectures)
            {
                var name = $"helm-v{version}-linux-{arch}.tar.gz";
                var content = Archive($"linux-{arch}/helm", $"helm {version} {arch}");
                _server.Bytes("/helm/" + name, content);
                _server.Text($"/helm/{name}.sha256sum", $"{Fixtures.Sha256(content)}  {name}\n");
            }
        Releases("helm/helm", helm.Select(v => Fixtures.Release("v" + v)).ToArray());
        Releases("derailed/k9s", k9s.Select(version =>
        {
            var sums = "";
            var assets = new List<JsonObject>();
            foreach (var arch in ToolSpec.Architectures)
            {
                var name = $"k9s_Linux_{arch}.tar.gz";
                var content = Archive("k9s", $"k9s {version} {arch}");
                _server.Bytes($"/dl/k9s/{version}/{name}", content);
                assets.Add(Fixtures.Asset(name, _server.Url($"/dl/k9s/{version}/{name}"), content));
                sums += $"{Fixtures.Sha256(content)}  {name}\n";
            }
            _server.Text($"/dl/k9s/{version}/checksums.sha256", sums);
            assets.Add(Fixtures.Asset("checksums.sha256", _server.Url($"/dl/k9s/{version}/checksums.sha256")));
            return Fixtures.Release("v" + version, false, false, [.. assets]);
        }).ToArray());
    }

    private GitHubApi Api() => new(new GitHubClientOptions
    {
        ApiBaseUrl = new Uri(_server.BaseUrl + "/"),
        Token = Token,
        CacheDirectory = _cache.Path("github"),
        MaxRetries = 1,
        RetryDelay = TimeSpan.Zero,
        Log = _log.Add,
    });

    private async Task<string> PinnedLockAsync()
    {
        using var github = Api();
        using var assets = new AssetCache(_cache.Path("assets"), http: _http);
        var pin = await new Pinner(new GitHubReleasesClient(github), assets, _http).ResolveAsync(ToolsFile.Load(_checkout.Path("tools.yaml")), ToolLock.Empty);
        return pin.Lock.ToJson();
    }

    /// <summary>The checkout's package lock: base installs jq (at <paramref name="version"/>) on linux/amd64.</summary>
    private static PackageLock PackagesWithJq(string version) => new(new Dictionary<Platform, PlatformPackages>
    {
        [Platform.LinuxAmd64] = new("20261207T000000Z", new Dictionary<string, ImagePackages>
        {
            ["base"] = new(["jq"], new Dictionary<string, LockedPackage> { ["jq"] = new(version, "amd64", new string(version[^1], 64)) }),
        }),
    });

    private async Task<BumpResult> BumpAsync() => await BumpAsync(dispatch: null);

    private async Task<BumpResult> BumpAsync(string? dispatch,
        Func<ToolLock, CancellationToken, Task<(PackagePinResult, IReadOnlyList<(string, byte[])>)>>? pinPackages = null)
    {
        using var github = Api();
        using var assets = new AssetCache(_cache.Path("assets"), http: _http);
        var pinner = new Pinner(new GitHubReleasesClient(github), assets, _http, _log.Add);
        return await new BumpPullRequest(github, pinner, _log.Add, pinPackages).RunAsync(new BumpOptions
        {
            Repository = RepositoryName.Parse("acme/workstation"),
            ToolsPath = _checkout.Path("tools.yaml"),
            ConfigPath = _checkout.Path("strata.yaml"),
            DispatchWorkflow = dispatch,
            Packages = PackageLock.Load(_checkout.Path("packages.lock.json")),
        });
    }

    private List<SeenRequest> Writes() => _server.Requests.Where(r => r.IsWrite).ToList();

    [Fact]
    public async Task The_first_bump_creates_the_branch_one_commit_and_the_pull_request()
    {
        var main = _repo.Refs["heads/main"];

        var result = await BumpAsync();

        Assert.Equal(BumpOutcome.PullRequestOpened, result.Outcome);
        Assert.Equal("Bump helm 3.19.2 -> 3.19.4, k9s 0.50.1 -> 0.50.2", result.Title);
        Assert.Equal(main, _repo.Refs["heads/main"]);
        Assert.Equal(result.Commit, _repo.Refs[Branch]);
        var locked = ToolLock.Parse(_repo.File(Branch, "tools.lock.json")!);
        Assert.Equal("3.19.4", locked.Get("helm").Version);
        Assert.Equal("0.50.2", locked.Get("k9s").Version);
        Assert.Equal("0.61.0", locked.Get("gemini-cli").Version);
        Assert.Equal("# workstation\n", _repo.File(Branch, "README.md"));

        // Git objects first, the ref last, then the pull request: one of each.
        Assert.Equal(["POST /git/blobs", "POST /git/trees", "POST /git/commits", "POST /git/refs", "POST /pulls"],
            Writes().Select(r => r.Method + " " + r.PathAndQuery["/repos/acme/workstation".Length..].TrimEnd('/')));

        var pull = Assert.Single(_repo.Pulls);
        Assert.Equal("strata/tool-bumps", (string)pull["head"]!["ref"]!);
        Assert.Equal("main", (string)pull["base"]!["ref"]!);
        var body = (string)pull["body"]!;
        output.WriteLine(body);
        Assert.StartsWith(BumpDescription.Marker, body);
        Assert.Contains($"| helm | 3.19.2 -> 3.19.4 | [v3.19.4](https://github.com/o/r/releases/tag/v3.19.4) | `{locked.Get("helm").Assets["amd64"].Sha256[..12]}` (helm-v3.19.4-linux-amd64.tar.gz.sha256sum) |", body);
        Assert.Contains($"| k9s | 0.50.1 -> 0.50.2 | [v0.50.2](https://github.com/o/r/releases/tag/v0.50.2) | `{locked.Get("k9s").Assets["amd64"].Sha256[..12]}` (checksums.sha256) |", body);
        Assert.DoesNotContain("| gemini-cli |", body);
        Assert.Contains("**Images whose keys change** (rebuilt): `k8s`", body);
        Assert.Contains("**Images whose keys do not change** (reused): `base`, `gemini`", body);
        Assert.Contains("**What changes in the images**", body);
        Assert.Matches(@"(?m)^- `k8s`: (helm 3\.19\.2 -> 3\.19\.4, k9s 0\.50\.1 -> 0\.50\.2|k9s 0\.50\.1 -> 0\.50\.2, helm 3\.19\.2 -> 3\.19\.4)$", body);
        Assert.Contains("What CI proves before merge", body);
    }

    [Fact]
    public async Task A_security_update_of_a_package_goes_into_the_same_commit_and_the_pull_request_names_its_cve()
    {
        Upstream(helm: ["3.19.2"], k9s: ["0.50.1"]); // no tool is newer: the package update alone makes the pull request
        var before = PackagesWithJq("1.7.1-6");
        var after = PackagesWithJq("1.7.1-6+deb13u1");
        var pinned = new PackagePinResult(after, before, PackageLock.Changes(before, after), [])
        {
            Changelogs = new Dictionary<(string, string), ChangelogEntry>
            {
                [("jq", "1.7.1-6+deb13u1")] = new(["* Fix CVE-2026-0002: a crash on deep input."], ["CVE-2026-0002"]),
            },
        };
        IReadOnlyList<(string, byte[])> files = [("packages.lock.json", System.Text.Encoding.UTF8.GetBytes(after.ToJson()))];

        var result = await BumpAsync(null, (_, _) => Task.FromResult((pinned, files)));

        Assert.Equal(BumpOutcome.PullRequestOpened, result.Outcome);
        Assert.Equal("Bump 1 Debian package (1 with CVE fixes)", result.Title);
        Assert.Equal(after.ToJson(), _repo.File(Branch, "packages.lock.json"));
        Assert.NotNull(_repo.File(Branch, "tools.lock.json"));
        Assert.Equal(["POST /git/blobs", "POST /git/blobs", "POST /git/trees", "POST /git/commits", "POST /git/refs", "POST /pulls"],
            Writes().Select(r => r.Method + " " + r.PathAndQuery["/repos/acme/workstation".Length..].TrimEnd('/')));
        var body = (string)Assert.Single(_repo.Pulls)["body"]!;
        output.WriteLine(body);
        Assert.Contains("#### `base` (linux/amd64)", body);
        Assert.Contains("| jq | 1.7.1-6 -> 1.7.1-6+deb13u1 | **CVE-2026-0002**: * Fix CVE-2026-0002: a crash on deep input. |", body);
        Assert.Contains("**Images whose keys change** (rebuilt): `base`, `k8s`, `gemini`", body);
        Assert.DoesNotContain("| Tool | Version |", body);

        // The same upstream and archive again: nothing to write.
        var writes = Writes().Count;
        Assert.Equal(BumpOutcome.AlreadyProposed, (await BumpAsync(null, (_, _) => Task.FromResult((pinned, files)))).Outcome);
        Assert.Equal(writes, Writes().Count);
    }

    [Fact]
    public async Task A_second_identical_run_makes_no_write_request()
    {
        await BumpAsync();
        var writes = Writes().Count;

        var again = await BumpAsync();

        Assert.Equal(BumpOutcome.AlreadyProposed, again.Outcome);
        Assert.Equal(writes, Writes().Count);
        Assert.Single(_repo.Pulls);
    }

    [Fact]
    public async Task A_newer_release_updates_the_same_pull_request_with_a_new_commit()
    {
        var first = await BumpAsync();
        Upstream(helm: ["3.19.5", "3.19.4", "3.19.2"], k9s: ["0.50.2", "0.50.1"]);

        var second = await BumpAsync();

        Assert.Equal(BumpOutcome.PullRequestUpdated, second.Outcome);
        Assert.Equal(first.PullRequest, second.PullRequest);
        Assert.NotEqual(first.Commit, second.Commit);
        Assert.Equal(second.Commit, _repo.Refs[Branch]);
        Assert.Equal("3.19.5", ToolLock.Parse(_repo.File(Branch, "tools.lock.json")!).Get("helm").Version);
        var pull = Assert.Single(_repo.Pulls);
        Assert.Equal("Bump helm 3.19.2 -> 3.19.5, k9s 0.50.1 -> 0.50.2", (string)pull["title"]!);
        Assert.Equal("open", (string)pull["state"]!);
        Assert.Equal(1, Writes().Count(r => r.Method == "PATCH" && r.PathAndQuery.EndsWith("/git/refs/heads/strata/tool-bumps")));
    }

    [Fact]
    public async Task A_branch_created_meanwhile_by_another_run_422_is_moved_to_this_runs_commit()
    {
        _repo.LoseTheRefRace = true;

        var result = await BumpAsync();

        Assert.Equal(BumpOutcome.PullRequestOpened, result.Outcome);
        Assert.Equal(result.Commit, _repo.Refs[Branch]);
        Assert.Contains(_log, l => l.Contains("appeared meanwhile"));
        Assert.Contains(Writes(), r => r.Method == "PATCH" && r.Body.Contains("\"force\":true"));
    }

    [Fact]
    public async Task A_rate_limit_in_the_middle_leaves_the_branch_where_it_was_and_fails_clearly()
    {
        var first = await BumpAsync();
        Upstream(helm: ["3.19.5", "3.19.4", "3.19.2"], k9s: ["0.50.2", "0.50.1"]);
        _repo.FailWith = (method, path) => method == "POST" && path == "/git/commits" ? 429 : null;
        var writes = Writes().Count;

        var e = await Assert.ThrowsAsync<GitHubRateLimitException>(BumpAsync);

        Assert.Contains("rate limit exhausted (429)", e.Message);
        Assert.Contains("/repos/acme/workstation/git/commits", e.Message);
        Assert.Equal(first.Commit, _repo.Refs[Branch]);
        Assert.Equal("Bump helm 3.19.2 -> 3.19.4, k9s 0.50.1 -> 0.50.2", (string)Assert.Single(_repo.Pulls)["title"]!);
        Assert.DoesNotContain(Writes().Skip(writes), r => r.PathAndQuery.Contains("/git/refs") || r.PathAndQuery.Contains("/pulls"));
    }

    [Fact]
    public async Task A_server_error_in_the_middle_is_retried_then_leaves_the_branch_where_it_was()
    {
        var first = await BumpAsync();
        Upstream(helm: ["3.19.5", "3.19.4", "3.19.2"], k9s: ["0.50.2", "0.50.1"]);
        _repo.FailWith = (method, path) => method == "POST" && path == "/git/trees" ? 502 : null;

        var e = await Assert.ThrowsAsync<GitHubApiException>(BumpAsync);

        Assert.StartsWith("GitHub API: 502 Bad Gateway for POST " + _server.Url("/repos/acme/workstation/git/trees"), e.Message);
        Assert.Equal(2, _server.Requests.Count(r => r.Method == "POST" && r.PathAndQuery.EndsWith("/git/trees")) - 1); // 1 + 1 retry, after the first run's
        Assert.Equal(first.Commit, _repo.Refs[Branch]);
    }

    [Fact]
    public async Task Opening_the_pull_request_is_not_retried_and_the_next_run_opens_it_on_the_same_commit()
    {
        _repo.FailWith = (method, path) => method == "POST" && path == "/pulls" ? 502 : null;
        var e = await Assert.ThrowsAsync<GitHubApiException>(BumpAsync);
        Assert.StartsWith("GitHub API: 502 Bad Gateway for POST", e.Message);
        Assert.Single(Writes(), r => r.PathAndQuery.EndsWith("/pulls")); // a retry could open it twice
        var commit = _repo.Refs[Branch];

        _repo.FailWith = (_, _) => null;
        var next = await BumpAsync();

        Assert.Equal(BumpOutcome.PullRequestOpened, next.Outcome);
        Assert.Null(next.Commit);
        Assert.Equal(commit, _repo.Refs[Branch]);
    }

    [Fact]
    public async Task After_the_pull_request_is_merged_the_next_run_does_nothing()
    {
        var first = await BumpAsync();
        _repo.Merge(first.PullRequest!.Value);
        var writes = Writes().Count;

        var next = await BumpAsync();

        Assert.Equal(BumpOutcome.UpToDate, next.Outcome);
        Assert.Equal(writes, Writes().Count);
        Assert.Contains(_log, l => l.Contains("tools.lock.json on main is up to date"));
    }

    [Fact]
    public async Task A_stale_pull_request_whose_bumps_were_withdrawn_is_closed_with_a_comment()
    {
        var first = await BumpAsync();
        Upstream(helm: ["3.19.2"], k9s: ["0.50.1"]); // the new releases were pulled upstream

        var next = await BumpAsync();

        Assert.Equal(BumpOutcome.StalePullRequestClosed, next.Outcome);
        Assert.Equal("closed", (string)Assert.Single(_repo.Pulls)["state"]!);
        var (number, comment) = Assert.Single(_repo.Comments);
        Assert.Equal(first.PullRequest, number);
        Assert.Contains("nothing left to propose", comment);
    }

    [Fact]
    public async Task With_only_GITHUB_TOKEN_a_new_commit_dispatches_ci_and_a_refused_dispatch_is_reported_not_fatal()
    {
        await BumpAsync("ci.yml");
        Assert.Contains(Writes(), r => r.PathAndQuery == "/repos/acme/workstation/actions/workflows/ci.yml/dispatches" && r.Body.Contains("\"ref\":\"strata/tool-bumps\""));

        await BumpAsync("ci.yml"); // nothing new: no commit, so no dispatch either
        Assert.Single(Writes(), r => r.PathAndQuery.EndsWith("/dispatches"));

        Upstream(helm: ["3.19.5", "3.19.4", "3.19.2"], k9s: ["0.50.2", "0.50.1"]);
        _repo.FailWith = (method, path) => path.EndsWith("/dispatches") ? 422 : null;
        var result = await BumpAsync("ci.yml");
        Assert.Equal(BumpOutcome.PullRequestUpdated, result.Outcome);
        Assert.Contains(_log, l => l.StartsWith("warning: could not dispatch ci.yml on strata/tool-bumps") && l.Contains("422"));
    }

    [Fact]
    public async Task The_token_is_sent_but_appears_in_no_output_request_body_or_file()
    {
        await BumpAsync();
        Upstream(helm: ["3.19.5", "3.19.4", "3.19.2"], k9s: ["0.50.2", "0.50.1"]);
        await BumpAsync();

        Assert.All(_server.Requests.Where(r => r.PathAndQuery.StartsWith("/repos/")), r => Assert.Equal("Bearer " + Token, r.Header("Authorization")));
        Assert.DoesNotContain(_log, l => l.Contains("SECRET"));
        Assert.DoesNotContain(_server.Requests, r => r.Body.Contains("SECRET") || r.PathAndQuery.Contains("SECRET"));
        var files = Directory.GetFiles(_cache.Root, "*", SearchOption.AllDirectories)
            .Concat(Directory.GetFiles(_checkout.Root, "*", SearchOption.AllDirectories)).ToList();
        Assert.Contains(files, f => f.Contains("/github/")); // the ETag cache was written
        Assert.All(files, f => Assert.DoesNotContain("SECRET", File.ReadAllText(f)));
    }
}
