using Strata.Tests.Support;
using Strata.Tools;
using Xunit;

namespace Strata.Tests.Tools;

public sealed class ToolLockTests : IDisposable
{
    private readonly TempRepo _temp = new();
    public void Dispose() => _temp.Dispose();

    private static readonly string A = new('a', 64), B = new('b', 64);

    private static ToolLock Sample() => new(new Dictionary<string, LockedTool>
    {
        ["yazi"] = new("25.5.31", "v25.5.31", new Dictionary<string, LockedAsset>
        {
            ["arm64"] = new("https://example.test/yazi-aarch64.zip", B),
            ["amd64"] = new("https://example.test/yazi-x86_64.zip", A),
        }),
        ["gemini-cli"] = new("0.61.0", "v0.61.0", new Dictionary<string, LockedAsset>()),
    });

    [Fact]
    public void Formatting_is_sorted_two_space_indented_with_a_trailing_newline()
    {
        var expected = $$"""
            {
              "version": 1,
              "tools": {
                "gemini-cli": {
                  "version": "0.61.0",
                  "tag": "v0.61.0"
                },
                "yazi": {
                  "version": "25.5.31",
                  "tag": "v25.5.31",
                  "assets": {
                    "amd64": {
                      "url": "https://example.test/yazi-x86_64.zip",
                      "sha256": "{{A}}"
                    },
                    "arm64": {
                      "url": "https://example.test/yazi-aarch64.zip",
                      "sha256": "{{B}}"
                    }
                  }
                }
              }
            }

            """;
        Assert.Equal(expected.ReplaceLineEndings("\n"), Sample().ToJson());
    }

    [Fact]
    public void Saves_and_loads_back_the_same_bytes()
    {
        var path = _temp.Path("tools.lock.json");
        Sample().Save(path);
        var first = File.ReadAllBytes(path);
        ToolLock.Load(path).Save(path);
        Assert.Equal(first, File.ReadAllBytes(path));
        Assert.Equal(B, ToolLock.Load(path).Get("yazi").Asset("yazi", "arm64").Sha256);
    }

    [Theory]
    [InlineData("{\"version\": 1, \"tools\": {", "not valid JSON")]
    [InlineData("{\"version\": 2, \"tools\": {}}", "\"version\": 1")]
    [InlineData("{\"version\": 1, \"tools\": {\"helm\": {\"version\": \"3.19.1\"}}}", "tool 'helm' must have a non-empty string \"tag\"")]
    [InlineData("{\"version\": 1, \"tools\": {\"helm\": {\"version\": \"3\", \"tag\": \"v3\", \"assets\": {\"amd64\": {\"url\": \"u\", \"sha256\": \"xyz\"}}}}}", "tool 'helm' architecture 'amd64': sha256 'xyz' is not 64")]
    [InlineData("{\"version\": 1, \"tools\": {\"helm\": {\"version\": \"3\", \"tag\": \"v3\", \"sha\": 1}}}", "unknown key \"sha\"")]
    [InlineData("[]", "the top level must be a JSON object")]
    public void A_malformed_lock_is_a_clear_error(string json, string expected)
    {
        var e = Assert.Throws<StrataConfigException>(() => ToolLock.Parse(json));
        Assert.StartsWith("tools.lock.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void A_failing_save_leaves_the_old_file_intact_and_no_temporary_file()
    {
        var path = _temp.Path("tools.lock.json");
        Sample().Save(path);
        var before = File.ReadAllBytes(path);
        var broken = new ToolLock(new Dictionary<string, LockedTool>
        {
            ["a-first"] = new("1.0.0", "v1.0.0", new Dictionary<string, LockedAsset> { ["amd64"] = new("https://x.test/a", A) }),
            ["z-last"] = new("1.0.0", "v1.0.0", new Dictionary<string, LockedAsset> { ["amd64"] = new("https://x.test/z", "not-a-hash") }),
        });

        Assert.Throws<InvalidOperationException>(() => broken.Save(path));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_temp.Root));
    }

    [Fact]
    public void A_missing_lock_is_an_error_unless_asked_for_an_empty_one()
    {
        Assert.Contains("run the pin task", Assert.Throws<StrataConfigException>(() => ToolLock.Load(_temp.Path("none.json"))).Message);
        Assert.Empty(ToolLock.Load(_temp.Path("none.json"), missingIsEmpty: true).Tools);
    }
}
