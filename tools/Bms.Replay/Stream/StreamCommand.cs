using System.CommandLine;
using System.Globalization;
using System.IO.Ports;
using Bms.Replay.Cli;
using Bms.Replay.Engine;
using Bms.Traces;

namespace Bms.Replay.Stream;

/// <summary>
/// <c>stream TRACE --port PORT</c>: runs the real firmware on a board in simulation mode (no AFE attached)
/// against a trace sent over its serial port, and reports what the board decided (README in this folder).
/// </summary>
public static class StreamCommand
{
    public static Command Create()
    {
        var trace = new Argument<string>("TRACE") { Description = "Trace file (format v1) to stream to the board." };
        var port = new Option<string>("--port") { Description = "Serial port of the board's telemetry UART (e.g. /dev/ttyUSB0, COM5).", HelpName = "PORT", Required = true };
        var baud = new Option<int>("--baud") { Description = "Baud rate (8N1); the board's default is 115200.", HelpName = "N", DefaultValueFactory = _ => 115200 };
        baud.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 1200 || v > 4_000_000) r.AddError("--baud must be between 1200 and 4000000 (got " + v + ")");
        });
        var chemistry = new Option<string?>("--chemistry")
        {
            Description = "Chemistry profile: nmc-graphite, lfp, lto or li-metal-ss (default: the trace's 'chemistry' metadata, else nmc-graphite).",
            HelpName = "NAME",
        };
        var socInit = new Option<double?>("--soc-init") { Description = "Initial state of charge for the estimator, in % (0..100).", HelpName = "PCT" };
        socInit.Validators.Add(r =>
        {
            double? value = r.GetValueOrDefault<double?>();
            if (value is double v && (double.IsNaN(v) || v < 0 || v > 100))
                r.AddError("--soc-init must be a percentage between 0 and 100 (got " + v.ToString(CultureInfo.InvariantCulture) + ")");
        });
        var csv = new Option<string?>("--csv") { Description = "Writes one row per sample with the board's decision and compute time.", HelpName = "FILE" };
        var timeout = new Option<int>("--timeout-ms") { Description = "Wait for each answer this long before sending again.", HelpName = "MS", DefaultValueFactory = _ => 2000 };
        timeout.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 10 || v > 600_000) r.AddError("--timeout-ms must be between 10 and 600000 (got " + v + ")");
        });
        var retries = new Option<int>("--retries") { Description = "Times a request is sent again after a timeout or a refusal.", HelpName = "N", DefaultValueFactory = _ => 3 };
        retries.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 0 || v > 100) r.AddError("--retries must be between 0 and 100 (got " + v + ")");
        });

        var command = new Command("stream",
            "Streams a trace over a serial port to a board running the firmware in simulation mode (no AFE attached) and " +
            "reports what its firmware decided for every sample, with the board's own compute time.")
        {
            trace, port, baud, chemistry, socInit, csv, timeout, retries,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            string path = parse.GetValue(trace)!;
            string portName = parse.GetValue(port)!;
            double? socPct = parse.GetValue(socInit);
            var settings = new StreamSettings
            {
                Chemistry = parse.GetValue(chemistry),
                SocInit_pcm = socPct is double p ? (int)Math.Round(p * 1000) : null,
                CsvPath = parse.GetValue(csv),
                Timeout_ms = parse.GetValue(timeout),
                Retries = parse.GetValue(retries),
            };

            TraceInfo info;
            try
            {
                info = TraceReader.Validate(path);
            }
            catch (TraceFormatException e)
            {
                error.WriteLine("error: " + e.Message);
                return ReplayRunner.ExitInvalidInput;
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                error.WriteLine("error: " + path + ": file not found");
                return ReplayRunner.ExitInvalidInput;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine("error: " + path + ": " + e.Message);
                return ReplayRunner.ExitInvalidInput;
            }

            SerialPort serial;
            try
            {
                serial = OpenPort(portName, parse.GetValue(baud));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or PlatformNotSupportedException)
            {
                string[] names;
                try { names = SerialPort.GetPortNames(); } catch (Exception) { names = Array.Empty<string>(); }
                error.WriteLine("error: cannot open serial port " + portName + ": " + e.Message +
                                (names.Length > 0 ? " (ports present: " + string.Join(", ", names) + ")" : " (no serial ports found)"));
                return ReplayRunner.ExitInvalidInput;
            }

            try
            {
                using (serial)
                {
                    using var reader = TraceReader.Open(path);
                    var result = StreamRunner.Run(info, reader, path, serial.BaseStream, settings);
                    StreamRunner.WriteSummary(result, portName + " at " + serial.BaudRate + " baud", output);
                    if (settings.CsvPath is not null) output.WriteLine("csv: " + settings.CsvPath);
                }
                return ReplayRunner.ExitOk;
            }
            catch (LinkException e)
            {
                error.WriteLine("error: " + portName + ": " + e.Message);
                return ReplayRunner.ExitFailure;
            }
            catch (ReplayException e)
            {
                error.WriteLine("error: " + e.Message);
                return ReplayRunner.ExitInvalidInput;
            }
            catch (TraceFormatException e)
            {
                error.WriteLine("error: " + e.Message);
                return ReplayRunner.ExitInvalidInput;
            }
        });
        return command;
    }

    /// <summary>Opens the port 8N1. DTR and RTS stay low: on ESP32 boards they drive the reset/boot circuit.</summary>
    private static SerialPort OpenPort(string name, int baud)
    {
        var serial = new SerialPort(name, baud, Parity.None, 8, StopBits.One)
        {
            Handshake = Handshake.None,
            DtrEnable = false,
            RtsEnable = false,
            ReadTimeout = 500,
            WriteTimeout = 2000,
        };
        serial.Open();
        serial.DiscardInBuffer();
        return serial;
    }
}
