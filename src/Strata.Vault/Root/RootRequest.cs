using Strata.Vault.States;

namespace Strata.Vault.Root;

/// <summary>
/// What the user side asks the root helper, as its argv after "__root": the command, then the mount point and
/// size the user chose. Nothing else crosses: the user, the names and the namespace are re-derived as root.
/// </summary>
public abstract record RootRequest(string MountPoint, string Size)
{
    public sealed record Preflight(string MountPoint, string Size) : RootRequest(MountPoint, Size);
    public sealed record Unlock(string MountPoint, string Size, UnlockMode Mode, string Nonce) : RootRequest(MountPoint, Size);
    public sealed record Lock(string MountPoint, string Size, LockMode Mode) : RootRequest(MountPoint, Size);
    /// <summary>Leftovers an unlock found; by now another session may have unlocked.</summary>
    public sealed record Clean(string MountPoint, string Size) : RootRequest(MountPoint, Size);
    /// <summary>An interrupted unlock closes the vault only if that very attempt (its nonce) opened it.</summary>
    public sealed record Abort(string MountPoint, string Size, string Nonce, LockMode Mode) : RootRequest(MountPoint, Size);

    public string Command => this switch
    {
        Preflight => "preflight", Unlock => "unlock", Lock => "lock", Clean => "clean", _ => "abort",
    };

    public IReadOnlyList<string> ToArguments() => this switch
    {
        Unlock u => [Command, MountPoint, Size, Word(u.Mode), u.Nonce],
        Lock l => [Command, MountPoint, Size, Word(l.Mode)],
        Abort a => [Command, MountPoint, Size, a.Nonce, Word(a.Mode)],
        _ => [Command, MountPoint, Size],
    };

    public static RootRequest Parse(IReadOnlyList<string> args)
    {
        if (args.Count < 3) throw new VaultException("the helper needs COMMAND MOUNT SIZE", ExitCodes.Usage);
        var (mount, size) = (args[1], args[2]);
        RootRequest? request = (args[0], args.Count) switch
        {
            ("preflight", 3) => new Preflight(mount, size),
            ("clean", 3) => new Clean(mount, size),
            ("unlock", 5) when UnlockModeOf(args[3]) is { } m && IsNonce(args[4]) => new Unlock(mount, size, m, args[4]),
            ("lock", 4) when LockModeOf(args[3]) is { } m => new Lock(mount, size, m),
            ("abort", 5) when IsNonce(args[3]) && LockModeOf(args[4]) is { } m => new Abort(mount, size, args[3], m),
            _ => null,
        };
        return request ?? throw new VaultException($"bad helper request '{string.Join(' ', args)}'", ExitCodes.Usage);
    }

    private static string Word(UnlockMode m) => m == UnlockMode.New ? "new" : "sealed";
    private static string Word(LockMode m) => m == LockMode.Keep ? "keep" : "erase";
    private static UnlockMode? UnlockModeOf(string w) => w switch { "new" => UnlockMode.New, "sealed" => UnlockMode.Sealed, _ => null };
    private static LockMode? LockModeOf(string w) => w switch { "erase" => LockMode.Erase, "keep" => LockMode.Keep, _ => null };
    private static bool IsNonce(string w) => w.Length is > 0 and <= 64 && w.All(c => char.IsAsciiDigit(c) || c == '-');
}
