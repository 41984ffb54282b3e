using System.Diagnostics;

namespace OpsConsole.Engine.Tests.Storage;

/// <summary>
/// A size-limited tmpfs of its own for one test (needs root: <c>mount -t tmpfs -o size=…</c>), for real
/// "No space left on device": <see cref="Fill"/> takes every free byte with a file, <see cref="Free"/> deletes
/// it. <see cref="Dispose"/> unmounts (lazily if something still holds a file) and removes the mount point,
/// so a failing test leaves no mount behind.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    private static readonly Lazy<string?> Unavailable = new(Probe);
    private bool _mounted;

    private Tmpfs(string path) => Path = path;

    /// <summary>Why a tmpfs cannot be mounted here (not root, no mount(8), not Linux), or null when it can.</summary>
    public static string? CannotMount => Unavailable.Value;

    public string Path { get; }

    public string FillerPath => System.IO.Path.Combine(Path, "filler");

    /// <summary>Mounts a tmpfs of <paramref name="size"/> (mount(8) syntax: 2m, 16m) at <paramref name="path"/> (created).</summary>
    public static Tmpfs Mount(string path, string size)
    {
        Directory.CreateDirectory(path);
        var tmpfs = new Tmpfs(path);
        Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0700", "tmpfs", path);
        tmpfs._mounted = true;
        return tmpfs;
    }

    /// <summary>Writes a file until the file system is full; returns its length.</summary>
    public long Fill()
    {
        using var stream = new FileStream(FillerPath, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        foreach (int chunk in new[] { 64 * 1024, 4096, 1 })
        {
            var bytes = new byte[chunk];
            try
            {
                while (true)
                {
                    stream.Write(bytes);
                }
            }
            catch (IOException)
            {
                // This chunk size no longer fits: try a smaller one.
            }
        }

        return stream.Length;
    }

    /// <summary>Gives the space back.</summary>
    public void Free() => File.Delete(FillerPath);

    public void Dispose()
    {
        if (_mounted)
        {
            _mounted = false;
            if (!TryRun("umount", Path))
            {
                TryRun("umount", "-l", Path); // a file still open (a host torn down late): detach now, freed when closed
            }
        }

        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Left to the temp cleaner.
        }
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "tmpfs mounts need Linux";
        }

        if (Environment.UserName != "root")
        {
            return $"mounting a tmpfs needs root (running as {Environment.UserName})";
        }

        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "opsconsole-tests", "tmpfs-probe-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var probe = Mount(path, "64k");
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
        {
            return "cannot mount a tmpfs: " + ex.Message;
        }
    }

    private static void Run(string file, params string[] args)
    {
        using var process = Process.Start(Start(file, args))!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)}: exit {process.ExitCode}: {error.Trim()}");
        }
    }

    private static bool TryRun(string file, params string[] args)
    {
        try
        {
            Run(file, args);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    private static ProcessStartInfo Start(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }
}

/// <summary>A fact that needs a real tmpfs: skipped, with the reason, only where one cannot be mounted.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (Tmpfs.CannotMount is { } why)
        {
            Skip = why;
        }
    }
}
