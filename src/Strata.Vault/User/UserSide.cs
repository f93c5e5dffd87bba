using Strata.Vault.Names;
using Strata.Vault.Root;
using Strata.Vault.Secrets;
using Strata.Vault.States;

namespace Strata.Vault.User;

/// <summary>
/// The commands as the user runs them: `status` and `paths` read the kernel without privileges; `unlock`, `lock`
/// and `preflight` make one call to the root helper each. From the first prompt of an unlock on, every way out
/// that is not a completed unlock fails closed (<see cref="Interrupt"/> for signals).
/// </summary>
public sealed class UserSide(
    IVaultInspector inspector, VaultNames names, IRootChannel root, ITerminalProvider terminals,
    IHookRunner hooks, IConsole console, string nonce)
{
    private readonly StateReader _reader = new(inspector, names);
    private readonly object _gate = new();
    private UnlockSession? _session;

    public int Status()
    {
        var state = _reader.Read();
        var loops = string.Join(',', inspector.Loops());
        console.Out(state switch
        {
            VaultState.Unlocked u => $"unlocked: {names.MountPoint} on {names.MappingPath} ({ShortUuid(u.Uuid)}, loop {(loops.Length == 0 ? "none" : loops)})",
            VaultState.Locked => "locked: no vault in RAM",
            VaultState.Sealed => $"sealed: encrypted image in RAM at {names.Image}, not open (run: vault unlock)",
            VaultState.Broken b => $"broken: leftovers (mapping: {(b.Leftovers.Mapping ? names.Mapping : "none")}, mount: {b.Leftovers.Mount?.ToString() ?? "none"}, " +
                                   $"loop: {(loops.Length == 0 ? "none" : loops)}, RAM folder: {(b.Leftovers.RamFolder ? "yes" : "no")}); run: vault unlock (or vault lock)",
            _ => throw new InvalidOperationException(),
        });
        return state.StatusCode;
    }

    public int Paths()
    {
        console.Out($"mapping={names.Mapping}\nimage={names.Image}\nramdir={names.RamFolder}\nlockfile={names.LockFile}\n" +
                    $"mount={names.MountPoint}\nplaceholder={VaultNames.Placeholder}");
        return ExitCodes.Ok;
    }

    public int Preflight()
    {
        if (inspector.PreflightCached())
        {
            console.Say("preflight: ok (cached for this boot)");
            return ExitCodes.Ok;
        }
        if (root.Run(Request.Preflight(), null) != ExitCodes.Ok) return ExitCodes.Failed;
        console.Say("preflight: ok (privileges, loop devices, device-mapper, dm-crypt)");
        return ExitCodes.Ok;
    }

    public int Lock(IReadOnlyList<string> args)
    {
        var (mode, confirmed) = args switch
        {
            [] => (LockMode.Erase, false),
            ["--erase"] => (LockMode.Erase, true),
            ["--keep"] => (LockMode.Keep, false),
            _ => throw new VaultException($"unknown option '{string.Join(' ', args)}' (vault lock [--erase|--keep])", ExitCodes.Usage),
        };
        var state = _reader.Read();
        if (state is VaultState.Locked)
        {
            if (!_reader.PlaceholderOnly()) root.Run(Request.Lock(LockMode.Erase), null);   // seal the mount point; best effort
            console.Say("already locked");
            return ExitCodes.Ok;
        }
        if (state is VaultState.Sealed && mode == LockMode.Keep)
        {
            console.Say("already locked (encrypted image kept in RAM)");
            return ExitCodes.Ok;
        }
        if (mode == LockMode.Erase && !confirmed && WhatWouldBeErased(state) is { } what) ConfirmErase(what);
        if (root.Run(Request.Lock(mode), null) != ExitCodes.Ok)
            throw new VaultException($"lock incomplete; state is now: {_reader.Read().Name}");
        console.Say(mode == LockMode.Keep ? "locked; encrypted image kept in RAM (next unlock asks for the same passphrase)" : "locked; vault erased");
        return ExitCodes.Ok;
    }

    private string? WhatWouldBeErased(VaultState state) => state switch
    {
        VaultState.Unlocked when inspector.CountEntries() is var n and > 0 => $"{names.MountPoint} holds {n} item(s)",
        VaultState.Sealed => "the sealed vault may hold files",
        _ => null,
    };

    private void ConfirmErase(string what)
    {
        using var tty = terminals.StdinIsTerminal ? terminals.Open() : null;
        if (tty is null)
            throw new VaultException($"{what}; 'vault lock' would erase them: run 'vault lock --erase' to confirm, or 'vault lock --keep' to keep them encrypted in RAM");
        var answer = tty.ReadLine($"vault: {what}; locking ERASES them for good (the vault lives only in RAM). Erase? [y/N] ");
        if (answer is not ("y" or "Y") && !string.Equals(answer, "yes", StringComparison.OrdinalIgnoreCase))
            throw new VaultException("not locked (nothing erased); 'vault lock --keep' keeps it encrypted in RAM");
    }

    public int Unlock()
    {
        var state = _reader.Read();
        if (state is VaultState.Unlocked)
        {
            console.Say($"already unlocked: {names.MountPoint} (mapping {names.Mapping})");
            return ExitCodes.Ok;
        }
        if (!inspector.PreflightCached() && root.Run(Request.Preflight(), null) != ExitCodes.Ok) return ExitCodes.Failed;
        if (state is VaultState.Broken)
        {
            console.Say("found leftovers of an earlier session (mapping/loop device/mount/RAM folder); cleaning them");
            var rc = root.Run(Request.Clean(), null);
            if (rc == ExitCodes.AlreadyUnlocked) return AlreadyUnlockedMeanwhile();
            if (rc != ExitCodes.Ok) throw new VaultException("cannot clean the stale vault; nothing was unlocked");
            console.Say("cleaned stale vault state");
            state = _reader.Read();
        }
        var mode = UnlockPlan.ModeFor(state) ?? throw new VaultException($"vault still in state '{state.Name}' after cleaning");
        if (_reader.ForeignMount()) throw new VaultException($"something else is mounted on {names.MountPoint}; refusing");

        var session = new UnlockSession(mode);
        lock (_gate) _session = session;
        try { return UnlockWith(session); }
        catch (Exception) when (session.Interrupted is { } signal)
        {
            session.Handled.Wait();   // whatever the main flow met, the signal's handler decides the end
            return ExitCodes.ForSignal(signal);
        }
        catch (VaultException) when (session.Started && !session.Done && session.Interrupted is null)
        {
            FailClosed(session);   // the helper opened the vault, but this attempt cannot complete it
            throw;
        }
        finally { session.Dispose(); }
    }

    private int UnlockWith(UnlockSession session)
    {
        session.Terminal = terminals.Open() ?? throw new VaultException("unlock needs a terminal for the passphrase (no /dev/tty)");
        session.Terminal.EchoOff();
        if (session.Mode == UnlockMode.Sealed)
        {
            session.Passphrase = ReadSecret(session, "Vault passphrase: ");
        }
        else
        {
            session.Terminal.Write("vault: a new vault lives ONLY in RAM: 'vault lock' and stopping the container erase everything in it.\n");
            session.Passphrase = ReadSecret(session, "New vault passphrase: ");
            using var confirmation = ReadSecret(session, "Confirm vault passphrase: ");
            if (!session.Passphrase.SameAs(confirmation)) throw new VaultException("passphrases do not match; unlock aborted");
        }
        session.Terminal.Restore();
        if (session.Passphrase.IsEmpty) throw new VaultException("empty passphrase refused");

        session.Started = true;
        var rc = root.Run(Request.Unlock(session.Mode, nonce), session.Passphrase);
        session.Passphrase.Dispose();   // zeroed as soon as it has been used
        if (session.Interrupted is { } signal)
        {
            session.Handled.Wait();   // the signal's handler closes what this attempt opened, then ends the process
            return ExitCodes.ForSignal(signal);
        }
        if (rc == ExitCodes.AlreadyUnlocked) return AlreadyUnlockedMeanwhile();
        if (rc != ExitCodes.Ok) return rc;   // the helper said why and cleaned up
        if (!_reader.VaultMounted()) throw new VaultException($"the helper finished, but {names.MountPoint} is not the vault; aborting");
        session.Done = true;
        console.Say($"unlocked: {names.MountPoint} (dm-crypt LUKS2, image in RAM at {names.Image}; lives only in RAM)");
        foreach (var hook in hooks.RunHooks(names.MountPoint)) console.Say($"warning: unlock hook {hook} failed (vault stays unlocked)");
        return ExitCodes.Ok;
    }

    private Secret ReadSecret(UnlockSession session, string prompt)
    {
        var secret = session.Terminal!.ReadSecret(prompt);
        if (session.Interrupted is { } signal) { secret?.Dispose(); throw new InterruptedException(signal); }
        return secret ?? throw new VaultException("no passphrase (end of input); unlock aborted");
    }

    private int AlreadyUnlockedMeanwhile()
    {
        if (!_reader.VaultMounted())
            throw new VaultException($"the helper said the vault is open, but {names.MountPoint} is not the vault; nothing was unlocked");
        if (_session is { } s) s.Done = true;
        console.Say($"already unlocked by another session meanwhile: {names.MountPoint} (this attempt opened nothing)");
        return ExitCodes.Ok;
    }

    /// <summary>
    /// A signal during an unlock (from a signal handler's thread): put the terminal back, zero the passphrase, and
    /// close the vault if this very attempt opened it (the helper undoes its own work; this catches a signal that
    /// arrived while it finished). Returns the exit status, or null when no unlock is under way.
    /// </summary>
    public int? Interrupt(VaultSignal signal)
    {
        UnlockSession? session;
        lock (_gate) session = _session;
        if (session is null || session.Done) return null;
        if (!session.MarkInterrupted(signal)) return ExitCodes.ForSignal(signal);
        session.Terminal?.Restore();
        if (!session.Started) session.Passphrase?.Dispose();   // (else the pipe may still read it: zeroed once the helper ended)
        console.Say($"unlock aborted by SIG{signal.ToString().ToUpperInvariant()}; nothing is left open");
        try
        {
            if (session.Started)
            {
                root.WaitForRunning();
                session.Passphrase?.Dispose();
                FailClosed(session);
            }
        }
        finally { session.Handled.Set(); }
        return ExitCodes.ForSignal(signal);
    }

    /// <summary>Closes the vault if this attempt opened it (never one another session unlocked: the helper checks the nonce).</summary>
    private void FailClosed(UnlockSession session)
    {
        if (_reader.VaultMounted() && root.Run(Request.Abort(nonce, UnlockPlan.For(session.Mode).Undo), null) != ExitCodes.Ok)
            console.Say("teardown incomplete; run 'vault lock'");
    }

    private RequestFactory Request => new(names);

    private readonly record struct RequestFactory(VaultNames Names)
    {
        private string M => Names.MountPoint;
        private string S => Names.Size.ToString();
        public RootRequest Preflight() => new RootRequest.Preflight(M, S);
        public RootRequest Clean() => new RootRequest.Clean(M, S);
        public RootRequest Lock(LockMode mode) => new RootRequest.Lock(M, S, mode);
        public RootRequest Unlock(UnlockMode mode, string nonce) => new RootRequest.Unlock(M, S, mode, nonce);
        public RootRequest Abort(string nonce, LockMode mode) => new RootRequest.Abort(M, S, nonce, mode);
    }

    private static string ShortUuid(string? uuid)
    {
        if (uuid is null || !uuid.StartsWith("CRYPT-", StringComparison.Ordinal)) return uuid ?? "?";
        var end = 6;
        while (end < uuid.Length && (char.IsAsciiLetterUpper(uuid[end]) || char.IsAsciiDigit(uuid[end]))) end++;
        return uuid[..end];
    }

    /// <summary>One unlock attempt: its terminal, its passphrase and how far it got.</summary>
    private sealed class UnlockSession(UnlockMode mode) : IDisposable
    {
        private int _interrupted = -1;
        public UnlockMode Mode { get; } = mode;
        public ITerminal? Terminal { get; set; }
        public Secret? Passphrase { get; set; }
        /// <summary>The helper may have created something.</summary>
        public volatile bool Started;
        public volatile bool Done;
        public ManualResetEventSlim Handled { get; } = new();
        public VaultSignal? Interrupted => _interrupted < 0 ? null : (VaultSignal)_interrupted;
        public bool MarkInterrupted(VaultSignal s) => Interlocked.CompareExchange(ref _interrupted, (int)s, -1) == -1;

        public void Dispose()
        {
            Passphrase?.Dispose();
            Terminal?.Restore();
            Terminal?.Dispose();
        }
    }
}
