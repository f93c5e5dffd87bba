using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Strata.Bumps;
using Strata.Tests.Support;

namespace Strata.Tests.GitHub;

/// <summary>
/// A repository behind the stand-in server, with state: refs, commits, trees, blobs, pull
/// requests and comments, answering the REST endpoints Octokit calls for git data, contents,
/// pulls and issue comments. The repository and ref payloads are real recordings
/// (Fixtures/github, from octokit/fixtures); the others follow the shapes in GitHub's REST docs.
/// </summary>
public sealed class StandInRepository
{
    private readonly StandInServer _server;
    private readonly string _owner;
    private readonly string _name;
    private readonly Dictionary<string, string> _blobs = [];
    private readonly Dictionary<string, Dictionary<string, string>> _trees = [];
    private readonly Dictionary<string, (string Tree, string[] Parents, string Message)> _commits = [];

    public StandInRepository(StandInServer server, string fullName, IReadOnlyDictionary<string, string> files)
    {
        _server = server;
        (_owner, _name) = (fullName.Split('/')[0], fullName.Split('/')[1]);
        Refs["heads/main"] = Commit(files, [], "Initial commit");
        server.Fallback.Add(HandleAsync);
    }

    public Dictionary<string, string> Refs { get; } = [];
    public List<JsonObject> Pulls { get; } = [];
    public List<(int Number, string Body)> Comments { get; } = [];

    /// <summary>Answer this request (method, path) with this status instead: 429 as an exhausted rate limit, 5xx as a server error.</summary>
    public Func<string, string, int?> FailWith { get; set; } = (_, _) => null;

    /// <summary>Before the next POST of a ref, act as if another run had created it first.</summary>
    public bool LoseTheRefRace { get; set; }

    private string Api => _server.BaseUrl + $"/repos/{_owner}/{_name}";

    /// <summary>A file's content at a ref ("heads/main") or commit sha (null when absent).</summary>
    public string? File(string reference, string path) =>
        _trees[_commits[Refs.GetValueOrDefault(reference, reference)].Tree].TryGetValue(path, out var blob) ? _blobs[blob] : null;

    public string Commit(IReadOnlyDictionary<string, string> files, string[] parents, string message)
    {
        var tree = files.ToDictionary(f => f.Key, f => StoreBlob(f.Value));
        var treeSha = Sha("tree " + string.Join(",", tree.OrderBy(e => e.Key).Select(e => e.Key + "=" + e.Value)));
        _trees[treeSha] = tree;
        var sha = Sha($"commit {treeSha} {string.Join(",", parents)} {message}");
        _commits[sha] = (treeSha, parents, message);
        return sha;
    }

    /// <summary>Merges the pull request as GitHub's "rebase and merge" of one commit would: main gets the branch's files.</summary>
    public void Merge(int number)
    {
        var pull = Pulls.Single(p => (int)p["number"]! == number);
        var branch = Refs["heads/" + (string)pull["head"]!["ref"]!];
        var files = _trees[_commits[branch].Tree].ToDictionary(e => e.Key, e => _blobs[e.Value]);
        Refs["heads/main"] = Commit(files, [Refs["heads/main"]], "Merge pull request #" + number);
        pull["state"] = "closed";
        pull["merged"] = true;
    }

    private string StoreBlob(string content)
    {
        var sha = BumpPullRequest.GitBlobSha(Encoding.UTF8.GetBytes(content));
        _blobs[sha] = content;
        return sha;
    }

    private static string Sha(string text) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));

    private async Task<bool> HandleAsync(HttpContext ctx, string body)
    {
        var prefix = $"/repos/{_owner}/{_name}";
        var path = ctx.Request.Path.Value!;
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return false;
        var rest = path[prefix.Length..].TrimEnd('/');
        var method = ctx.Request.Method;
        if (FailWith(method, rest) is 429)
        {
            ctx.Response.Headers["x-ratelimit-limit"] = "5000";
            ctx.Response.Headers["x-ratelimit-remaining"] = "0";
            ctx.Response.Headers["x-ratelimit-reset"] = "1900000000";
            await Answer(ctx, 429, new JsonObject { ["message"] = "API rate limit exceeded for installation ID 1.", ["documentation_url"] = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", ["status"] = "429" });
            return true;
        }
        if (FailWith(method, rest) is { } failure)
        {
            await Answer(ctx, failure, new JsonObject { ["message"] = "Server Error" });
            return true;
        }
        var input = body.Length > 0 ? JsonNode.Parse(body)!.AsObject() : new JsonObject();
        JsonNode? answer = null;
        var status = 200;
        switch (method, rest)
        {
            case ("GET", ""):
                answer = RepositoryPayload();
                break;
            case ("GET", var r) when r.StartsWith("/git/refs/", StringComparison.Ordinal):
                var name = r["/git/refs/".Length..];
                if (Refs.ContainsKey(name)) answer = RefPayload(name);
                break;
            case ("POST", "/git/refs"):
                var created = ((string)input["ref"]!)["refs/".Length..];
                if (LoseTheRefRace)
                {
                    LoseTheRefRace = false;
                    Refs[created] = Refs["heads/main"];
                }
                if (Refs.ContainsKey(created))
                {
                    status = 422;
                    answer = new JsonObject { ["message"] = "Reference already exists", ["documentation_url"] = "https://docs.github.com/rest/git/refs#create-a-reference", ["status"] = "422" };
                    break;
                }
                Refs[created] = (string)input["sha"]!;
                (status, answer) = (201, RefPayload(created));
                break;
            case ("PATCH", var r) when r.StartsWith("/git/refs/", StringComparison.Ordinal):
                var moved = r["/git/refs/".Length..];
                if (!Refs.ContainsKey(moved)) break;
                Refs[moved] = (string)input["sha"]!;
                answer = RefPayload(moved);
                break;
            case ("GET", var r) when r.StartsWith("/git/commits/", StringComparison.Ordinal):
                var sha = r["/git/commits/".Length..];
                if (_commits.ContainsKey(sha)) answer = CommitPayload(sha);
                break;
            case ("POST", "/git/blobs"):
                var content = (string)input["encoding"]! == "base64"
                    ? Encoding.UTF8.GetString(Convert.FromBase64String((string)input["content"]!))
                    : (string)input["content"]!;
                var blob = StoreBlob(content);
                (status, answer) = (201, new JsonObject { ["url"] = $"{Api}/git/blobs/{blob}", ["sha"] = blob });
                break;
            case ("POST", "/git/trees"):
                var tree = new Dictionary<string, string>(_trees[(string)input["base_tree"]!]);
                foreach (var item in input["tree"]!.AsArray()) tree[(string)item!["path"]!] = (string)item["sha"]!;
                var treeSha = Sha("tree " + string.Join(",", tree.OrderBy(e => e.Key).Select(e => e.Key + "=" + e.Value)));
                _trees[treeSha] = tree;
                (status, answer) = (201, TreePayload(treeSha));
                break;
            case ("POST", "/git/commits"):
                var parents = input["parents"]!.AsArray().Select(p => (string)p!).ToArray();
                var commitSha = Sha($"commit {input["tree"]} {string.Join(",", parents)} {input["message"]}");
                _commits[commitSha] = ((string)input["tree"]!, parents, (string)input["message"]!);
                (status, answer) = (201, CommitPayload(commitSha));
                break;
            case ("GET", var r) when r.StartsWith("/contents/", StringComparison.Ordinal):
                var file = r["/contents/".Length..];
                var at = ctx.Request.Query["ref"].ToString() is { Length: > 0 } q ? q : "main";
                // ?ref= names a branch or a commit.
                var commit = Refs.ContainsKey("heads/" + at) ? "heads/" + at : _commits.ContainsKey(at) ? at : null;
                if (commit is not null && File(commit, file) is { } text) answer = ContentPayload(file, at, text);
                break;
            case ("GET", "/pulls"):
                var state = ctx.Request.Query["state"].ToString();
                var head = ctx.Request.Query["head"].ToString();
                answer = new JsonArray(Pulls
                    .Where(p => (state is "" or "all" || (string)p["state"]! == state)
                        && (head == "" || head == $"{_owner}:{p["head"]!["ref"]}"))
                    .Select(p => (JsonNode)p.DeepClone()).ToArray());
                break;
            case ("POST", "/pulls"):
                var pull = PullPayload(Pulls.Count + 1, (string)input["title"]!, (string?)input["body"], (string)input["head"]!, (string)input["base"]!);
                Pulls.Add(pull);
                (status, answer) = (201, pull.DeepClone());
                break;
            case ("PATCH", var r) when r.StartsWith("/pulls/", StringComparison.Ordinal):
                var existing = Pulls.Single(p => (int)p["number"]! == int.Parse(r["/pulls/".Length..]));
                foreach (var key in new[] { "title", "body", "state" })
                    if (input[key] is { } value) existing[key] = value.DeepClone();
                answer = existing.DeepClone();
                break;
            case ("POST", var r) when r.StartsWith("/issues/", StringComparison.Ordinal) && r.EndsWith("/comments", StringComparison.Ordinal):
                var number = int.Parse(r.Split('/')[2]);
                Comments.Add((number, (string)input["body"]!));
                (status, answer) = (201, CommentPayload(Comments.Count, number, (string)input["body"]!));
                break;
            case ("POST", var r) when r.StartsWith("/actions/workflows/", StringComparison.Ordinal) && r.EndsWith("/dispatches", StringComparison.Ordinal):
                ctx.Response.StatusCode = 204;
                return true;
            default:
                return false;
        }
        if (answer is null)
            await Answer(ctx, 404, new JsonObject { ["message"] = "Not Found", ["documentation_url"] = "https://docs.github.com/rest", ["status"] = "404" });
        else if (method == "GET")
        {
            // GitHub tags every GET with an ETag and answers a matching If-None-Match with 304.
            var etag = $"W/\"{Sha(answer.ToJsonString())}\"";
            if (ctx.Request.Headers.IfNoneMatch.ToString() == etag)
            {
                ctx.Response.StatusCode = 304;
                return true;
            }
            ctx.Response.Headers.ETag = etag;
            await Answer(ctx, status, answer);
        }
        else
            await Answer(ctx, status, answer);
        return true;
    }

    private static async Task Answer(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(body.ToJsonString());
    }

    private JsonObject RepositoryPayload()
    {
        var repo = JsonNode.Parse(Fixtures.GitHub("octokit-fixture-org__hello-world__repository.json"))!.AsObject();
        repo["name"] = _name;
        repo["full_name"] = $"{_owner}/{_name}";
        repo["owner"]!["login"] = _owner;
        repo["default_branch"] = "main";
        repo["url"] = Api;
        return repo;
    }

    private JsonObject RefPayload(string name)
    {
        var payload = JsonNode.Parse(Fixtures.GitHub("octokit-fixture-org__git-refs__git_refs_post.json"))!.AsObject();
        payload["ref"] = "refs/" + name;
        payload["url"] = $"{Api}/git/refs/{name}";
        payload["object"]!["sha"] = Refs[name];
        payload["object"]!["url"] = $"{Api}/git/commits/{Refs[name]}";
        return payload;
    }

    private static JsonObject Person() => new() { ["name"] = "strata-bot[bot]", ["email"] = "1+strata-bot[bot]@users.noreply.github.com", ["date"] = "2026-11-28T03:17:00Z" };

    private JsonObject CommitPayload(string sha)
    {
        var (tree, parents, message) = _commits[sha];
        return new JsonObject
        {
            ["sha"] = sha,
            ["node_id"] = "C_kwDOAAABc9oAKDdmOGU",
            ["url"] = $"{Api}/git/commits/{sha}",
            ["html_url"] = $"https://github.com/{_owner}/{_name}/commit/{sha}",
            ["author"] = Person(),
            ["committer"] = Person(),
            ["tree"] = new JsonObject { ["sha"] = tree, ["url"] = $"{Api}/git/trees/{tree}" },
            ["message"] = message,
            ["parents"] = new JsonArray(parents.Select(p => (JsonNode)new JsonObject
            {
                ["sha"] = p, ["url"] = $"{Api}/git/commits/{p}", ["html_url"] = $"https://github.com/{_owner}/{_name}/commit/{p}",
            }).ToArray()),
            ["verification"] = new JsonObject { ["verified"] = false, ["reason"] = "unsigned", ["signature"] = null, ["payload"] = null, ["verified_at"] = null },
        };
    }

    private JsonObject TreePayload(string sha) => new()
    {
        ["sha"] = sha,
        ["url"] = $"{Api}/git/trees/{sha}",
        ["tree"] = new JsonArray(_trees[sha].OrderBy(e => e.Key).Select(e => (JsonNode)new JsonObject
        {
            ["path"] = e.Key, ["mode"] = "100644", ["type"] = "blob", ["size"] = Encoding.UTF8.GetByteCount(_blobs[e.Value]),
            ["sha"] = e.Value, ["url"] = $"{Api}/git/blobs/{e.Value}",
        }).ToArray()),
        ["truncated"] = false,
    };

    private JsonObject ContentPayload(string path, string reference, string text)
    {
        var sha = BumpPullRequest.GitBlobSha(Encoding.UTF8.GetBytes(text));
        var base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
        // GitHub wraps the base64 at 60 characters.
        var wrapped = string.Concat(Enumerable.Range(0, (base64.Length + 59) / 60).Select(i => base64.Substring(i * 60, Math.Min(60, base64.Length - i * 60)) + "\n"));
        return new JsonObject
        {
            ["type"] = "file", ["encoding"] = "base64", ["size"] = Encoding.UTF8.GetByteCount(text),
            ["name"] = path.Split('/')[^1], ["path"] = path, ["content"] = wrapped, ["sha"] = sha,
            ["url"] = $"{Api}/contents/{path}?ref={reference}",
            ["git_url"] = $"{Api}/git/blobs/{sha}",
            ["html_url"] = $"https://github.com/{_owner}/{_name}/blob/{reference}/{path}",
            ["download_url"] = $"https://raw.githubusercontent.com/{_owner}/{_name}/{reference}/{path}",
            ["_links"] = new JsonObject
            {
                ["self"] = $"{Api}/contents/{path}?ref={reference}", ["git"] = $"{Api}/git/blobs/{sha}",
                ["html"] = $"https://github.com/{_owner}/{_name}/blob/{reference}/{path}",
            },
        };
    }

    private JsonObject User() => new()
    {
        ["login"] = "strata-bot[bot]", ["id"] = 1, ["node_id"] = "BOT_kgDOAAAAAQ", ["type"] = "Bot", ["site_admin"] = false,
        ["url"] = _server.BaseUrl + "/users/strata-bot%5Bbot%5D", ["html_url"] = "https://github.com/apps/strata-bot",
    };

    private JsonObject Branch(string name) => new()
    {
        ["label"] = $"{_owner}:{name}", ["ref"] = name, ["sha"] = Refs.GetValueOrDefault("heads/" + name, ""),
        ["user"] = User(), ["repo"] = RepositoryPayload(),
    };

    private JsonObject PullPayload(int number, string title, string? body, string head, string @base) => new()
    {
        ["url"] = $"{Api}/pulls/{number}", ["id"] = 1000 + number, ["node_id"] = "PR_kwDOAAABc84AAAAB",
        ["html_url"] = $"https://github.com/{_owner}/{_name}/pull/{number}",
        ["diff_url"] = $"https://github.com/{_owner}/{_name}/pull/{number}.diff",
        ["patch_url"] = $"https://github.com/{_owner}/{_name}/pull/{number}.patch",
        ["issue_url"] = $"{Api}/issues/{number}",
        ["number"] = number, ["state"] = "open", ["locked"] = false, ["title"] = title, ["user"] = User(), ["body"] = body,
        ["labels"] = new JsonArray(), ["milestone"] = null, ["active_lock_reason"] = null,
        ["created_at"] = "2026-11-28T03:17:05Z", ["updated_at"] = "2026-11-28T03:17:05Z",
        ["closed_at"] = null, ["merged_at"] = null, ["merge_commit_sha"] = null,
        ["assignee"] = null, ["assignees"] = new JsonArray(), ["requested_reviewers"] = new JsonArray(), ["requested_teams"] = new JsonArray(),
        ["head"] = Branch(head), ["base"] = Branch(@base),
        ["author_association"] = "NONE", ["auto_merge"] = null, ["draft"] = false,
        ["merged"] = false, ["mergeable"] = null, ["rebaseable"] = null, ["mergeable_state"] = "unknown", ["merged_by"] = null,
        ["comments"] = 0, ["review_comments"] = 0, ["maintainer_can_modify"] = false,
        ["commits"] = 1, ["additions"] = 1, ["deletions"] = 1, ["changed_files"] = 1,
    };

    private JsonObject CommentPayload(int id, int number, string body) => new()
    {
        ["id"] = id, ["node_id"] = "IC_kwDOAAABc85AAAAB", ["url"] = $"{Api}/issues/comments/{id}",
        ["html_url"] = $"https://github.com/{_owner}/{_name}/pull/{number}#issuecomment-{id}",
        ["body"] = body, ["user"] = User(), ["created_at"] = "2026-11-28T03:17:06Z", ["updated_at"] = "2026-11-28T03:17:06Z",
        ["issue_url"] = $"{Api}/issues/{number}", ["author_association"] = "NONE",
    };
}
