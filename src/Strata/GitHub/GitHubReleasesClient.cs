using System.Net;
using Octokit;

namespace Strata.GitHub;

/// <summary>Reads a repository's releases, every page, with the asset digests Octokit's model leaves out.</summary>
public sealed class GitHubReleasesClient(GitHubApi github)
{
    private const string Accept = "application/vnd.github+json";

    /// <summary>All releases of owner/name, every page (per_page=100, following Link rel="next" on the API's server only).</summary>
    public async Task<IReadOnlyList<GitHubRelease>> ListReleasesAsync(string repository, CancellationToken ct = default)
    {
        var name = RepositoryName.Parse(repository);
        var releases = new List<GitHubRelease>();
        var path = $"repos/{name}/releases?per_page=100";
        Uri? page = new(path, UriKind.Relative);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (page is not null)
        {
            var url = new Uri(github.Options.ApiBaseUrl, page).AbsoluteUri;
            if (!seen.Add(url))
                throw new GitHubApiException($"GitHub API: the pages of {repository}'s releases link back to {url}; stopping.");
            var current = page;
            var response = await github.CallAsync("GET", url,
                () => github.Connection.Get<List<ReleasePayload>>(current, null, Accept, ct),
                () => throw new GitHubApiException($"GitHub API: repository {repository} not found ({url}).", HttpStatusCode.NotFound))
                .ConfigureAwait(false);
            if (response.Body is not { } body)
                throw new GitHubApiException($"GitHub API: malformed JSON from {url}: expected a JSON array of releases ({response.HttpResponse.ContentType ?? "no content type"}).");
            releases.AddRange(body.Select(r => Read(r, name, url)));
            page = NextPage(response.HttpResponse, url);
        }
        return releases;
    }

    private static GitHubRelease Read(ReleasePayload r, RepositoryName repository, string url)
    {
        var tag = r.TagName ?? throw Malformed(url, "a release has no string \"tag_name\"");
        var assets = (r.Assets ?? []).Select(a =>
        {
            var name = a.Name ?? throw Malformed(url, $"an asset of release {tag} has no string \"name\"");
            return new GitHubAsset(name,
                a.BrowserDownloadUrl ?? throw Malformed(url, $"asset {name} of release {tag} has no string \"browser_download_url\""),
                a.Digest);
        }).ToList();
        return new GitHubRelease(tag, r.Draft, r.Prerelease,
            r.HtmlUrl ?? $"https://github.com/{repository}/releases/tag/{Uri.EscapeDataString(tag)}", assets);
    }

    private static GitHubApiException Malformed(string url, string what) =>
        new($"GitHub API: malformed JSON from {url}: {what}");

    /// <summary>The rel="next" page; it must stay on the API's server (the token goes with it).</summary>
    private Uri? NextPage(IResponse response, string current)
    {
        if (response.ApiInfo?.Links is not { } links || !links.TryGetValue("next", out var next)) return null;
        next = new Uri(new Uri(current), next);
        if (Uri.Compare(next, github.Options.ApiBaseUrl, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) != 0)
            throw new GitHubApiException($"GitHub API: the next page of {current} is on another server ({next.GetLeftPart(UriPartial.Authority)}); refusing to follow it.");
        return next;
    }
}
