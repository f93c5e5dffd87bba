namespace Strata.Vault.Root;

/// <summary>What lstat says of one path (symbolic links are not followed).</summary>
public sealed record PathInfo(PathKind Kind, int Uid);

public enum PathKind { Directory, SymbolicLink, Other }

/// <summary>lstat: one path, never following a symbolic link.</summary>
public interface IPathInspector
{
    /// <summary>Null when the path does not exist.</summary>
    PathInfo? Lstat(string path);
}

/// <summary>
/// The root helper mounts on a path its caller chose (STRATA_VAULT_MOUNT), so it trusts nothing of it: an
/// absolute, normalised path below the caller's home, in which no component is a symbolic link (each is looked at
/// with lstat, from the root down), ending in a directory owned by the caller, or, if it does not exist yet, whose
/// parent is such a directory.
/// </summary>
public static class MountPointPolicy
{
    public static string Check(string mountPoint, string home, int uid, IPathInspector paths)
    {
        string Refuse(string why) => throw new VaultException($"refusing mount point {mountPoint}: {why}");
        if (!mountPoint.StartsWith('/')) return Refuse("not an absolute path");
        var parts = mountPoint.Split('/')[1..];
        if (parts.Any(p => p is "" or "." or ".."))
            return Refuse("not a normalised path (empty, '.' or '..' components, or a trailing '/')");
        var homeRoot = home.TrimEnd('/') + "/";
        if (!mountPoint.StartsWith(homeRoot, StringComparison.Ordinal)) return Refuse($"not inside the home folder {home}");

        var path = "";
        for (var i = 0; i < parts.Length; i++)
        {
            path += "/" + parts[i];
            var info = paths.Lstat(path);
            var last = i == parts.Length - 1;
            if (info is null)
            {
                if (!last) return Refuse($"{path} does not exist");
                var parent = paths.Lstat(path[..path.LastIndexOf('/')] is { Length: > 0 } p ? p : "/");
                if (parent?.Uid != uid) return Refuse("it does not exist, and its parent is not a directory of the user");
                return mountPoint;
            }
            if (info.Kind == PathKind.SymbolicLink) return Refuse($"{path} is a symbolic link (resolve it and set STRATA_VAULT_MOUNT to the real path)");
            if (info.Kind != PathKind.Directory) return Refuse($"{path} is not a directory");
            if (last && info.Uid != uid) return Refuse($"it is not owned by the user (uid {info.Uid}, want {uid})");
        }
        return mountPoint;
    }
}
