using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text;
using Bms.Firmware.Link;
using Bms.Hal;
using Bms.Replay.Stream;
using Bms.Tools.Tests.Build;
using Microsoft.Win32.SafeHandles;

namespace Bms.Tools.Tests.Stream;

/// <summary>The <c>stream</c> verb as a user runs it: options, errors, and a real serial port (a Linux pseudo-terminal).</summary>
public class StreamCommandTests
{
    private readonly ITestOutputHelper _out;
    public StreamCommandTests(ITestOutputHelper output) => _out = output;

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        var root = new RootCommand { StreamCommand.Create() };
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = root.Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private static string SampleTrace(int rows)
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "tools", "Bms.Replay", "samples", "hppc-1c-30degC-4s.csv"));
        int header = Array.FindIndex(lines, l => l.StartsWith("time_ms", StringComparison.Ordinal));
        string path = Path.Combine(Directory.CreateTempSubdirectory("stream-cli").FullName, "trace.csv");
        File.WriteAllLines(path, lines.Take(header + 1 + rows));
        return path;
    }

    [Fact]
    public void A_port_that_cannot_be_opened_is_reported_with_its_name()
    {
        var (exit, _, error) = Run("stream", SampleTrace(5), "--port", "/dev/does-not-exist-bms");
        Assert.Equal(2, exit);
        Assert.Contains("cannot open serial port /dev/does-not-exist-bms", error);
    }

    [Fact]
    public void A_malformed_trace_is_refused_before_the_port_is_touched()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("stream-cli").FullName, "bad.csv");
        File.WriteAllText(path, "# bms-trace v1\n# cells=1\n# temps=0\ntime_ms,current_mA,v1_mV\n0,0,3700\n10,x,3700\n");
        var (exit, _, error) = Run("stream", path, "--port", "/dev/does-not-exist-bms");
        Assert.Equal(2, exit);
        Assert.Contains("bad.csv:6:", error); // file:line:column
        Assert.Contains("current_mA", error);
        Assert.DoesNotContain("serial port", error);
    }

    [Theory]
    [InlineData("--retries", "-1", "--retries must be between 0 and 100")]
    [InlineData("--timeout-ms", "0", "--timeout-ms must be between 10 and 600000")]
    [InlineData("--soc-init", "120", "--soc-init must be a percentage between 0 and 100")]
    [InlineData("--baud", "12", "--baud must be between 1200 and 4000000")]
    public void Bad_options_are_refused_with_the_reason(string option, string value, string message)
    {
        var (exit, _, error) = Run("stream", SampleTrace(5), "--port", "/dev/null", option, value);
        Assert.NotEqual(0, exit);
        Assert.Contains(message, error);
    }

    [Fact]
    public void The_verb_streams_over_a_real_serial_port_to_a_host_instance_of_the_firmware()
    {
        if (!OperatingSystem.IsLinux()) return; // pseudo-terminals via libc; the pipe tests cover the protocol everywhere
        using var pty = PseudoTerminal.Open();
        var session = new SimulationSession(pty, new StopwatchClock());
        using var board = new PtyBoard(pty, session);
        string trace = SampleTrace(60);
        string csv = Path.Combine(Path.GetDirectoryName(trace)!, "board.csv");

        var (exit, output, error) = Run("stream", trace, "--port", pty.SlavePath, "--csv", csv, "--timeout-ms", "3000");
        _out.WriteLine(output + error);

        Assert.True(exit == 0, "exit " + exit + ": " + error);
        Assert.Contains("60 samples streamed to " + pty.SlavePath + " at 115200 baud", output);
        Assert.Contains("link: 0 retries", output);
        Assert.Equal(61, File.ReadAllLines(csv).Length);
        Assert.Equal(60, session.SamplesProcessed);
    }

    /// <summary>The master side of a Linux pseudo-terminal as the board's serial channel; the slave is a tty SerialPort can open.</summary>
    private sealed class PseudoTerminal : ISerialChannel, IDisposable
    {
        private const int O_RDWR = 2, O_NOCTTY = 0x100;
        private readonly FileStream _master;
        private readonly LinkPipe.ByteQueue _received = new();
        private readonly Thread _pump;
        private volatile bool _disposed;

        [DllImport("libc", SetLastError = true)] private static extern int posix_openpt(int flags);
        [DllImport("libc", SetLastError = true)] private static extern int grantpt(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int unlockpt(int fd);
        [DllImport("libc", SetLastError = true)] private static extern int ptsname_r(int fd, byte[] buffer, nint length);

        private PseudoTerminal(int fd, string slave)
        {
            SlavePath = slave;
            _master = new FileStream(new SafeFileHandle(fd, true), FileAccess.ReadWrite, 1);
            _pump = new Thread(() =>
            {
                var buffer = new byte[256];
                while (!_disposed)
                {
                    try
                    {
                        int n = _master.Read(buffer, 0, buffer.Length);
                        if (n > 0) _received.Add(buffer.AsSpan(0, n).ToArray());
                    }
                    catch (IOException)
                    {
                        Thread.Sleep(5); // EIO while no one holds the slave open (before the tool opens it, after it closes)
                    }
                    catch (ObjectDisposedException)
                    {
                        break;
                    }
                }
                _received.Close();
            }) { IsBackground = true };
            _pump.Start();
        }

        public string SlavePath { get; }

        public static PseudoTerminal Open()
        {
            int fd = posix_openpt(O_RDWR | O_NOCTTY);
            if (fd < 0 || grantpt(fd) != 0 || unlockpt(fd) != 0) throw new IOException("no pseudo-terminal: errno " + Marshal.GetLastWin32Error());
            var name = new byte[128];
            if (ptsname_r(fd, name, name.Length) != 0) throw new IOException("ptsname failed");
            return new PseudoTerminal(fd, Encoding.ASCII.GetString(name, 0, Array.IndexOf(name, (byte)0)));
        }

        public bool WaitForData(int ms) => _received.WaitForData(ms);
        public int Read(byte[] buffer, int offset, int count) => _received.Take(buffer, offset, count, 0);

        public void Write(byte[] buffer, int offset, int count)
        {
            _master.Write(buffer, offset, count);
            _master.Flush();
        }

        public void Dispose()
        {
            _disposed = true;
            _master.Dispose();
        }
    }

    private sealed class PtyBoard : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public PtyBoard(PseudoTerminal pty, SimulationSession session)
        {
            _thread = new Thread(() =>
            {
                while (!_stop)
                {
                    if (pty.WaitForData(20)) session.Poll();
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join(2000);
        }
    }
}
