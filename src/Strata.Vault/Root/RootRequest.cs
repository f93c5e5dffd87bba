using Strata.Vault.States;

namespace Strata.Vault.Root;

/// <summary>
/// What the user side asks the root helper, as its argv after "__root": the mount point and size the user chose,
/// then the command and its words (the script's order, which the scenario's process checks match). Nothing else crosses: the user, the names and the namespace are re-derived as root.
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
        Unlock u => [MountPoint, Size, Command, Word(u.Mode), u.Nonce],
        Lock l => [MountPoint, Size, Command, Word(l.Mode)],
        Abort a => [MountPoint, Size, Command, a.Nonce, Word(a.Mode)],
        _ => [MountPoint, Size, Command],
    };

    public static RootRequest Parse(IReadOnlyList<string> args)
    {
        if (args.Count < 3) throw new VaultException("the helper needs MOUNT SIZE COMMAND", ExitCodes.Usage);
        var (mount, size, command) = (args[0], args[1], args[2]);
        var w = args.Skip(3).ToList();   // the command's own words
        RootRequest? request = (command, w.Count) switch
        {
            ("preflight", 0) => new Preflight(mount, size),
            ("clean", 0) => new Clean(mount, size),
            ("unlock", 2) when UnlockModeOf(w[0]) is { } m && IsNonce(w[1]) => new Unlock(mount, size, m, w[1]),
            ("lock", 1) when LockModeOf(w[0]) is { } m => new Lock(mount, size, m),
            ("abort", 2) when IsNonce(w[0]) && LockModeOf(w[1]) is { } m => new Abort(mount, size, w[0], m),
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
