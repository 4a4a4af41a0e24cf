using Bms.Firmware.Composition;
using Bms.Firmware.Link;
using Bms.Firmware.Telemetry;
using Bms.Hal;

namespace Bms.Firmware.Application
{
    /// <summary>
    /// What the device application runs, apart from opening the hardware: at start-up it asks the AFE to
    /// initialise; if the AFE answers, the BMS runs on it (contactors closed while the close request input —
    /// the HV interlock loop — is closed) and a telemetry line goes out every second; if it does not answer,
    /// the board has no battery attached and enters simulation mode, running the same firmware on samples
    /// streamed by <c>bms-replay stream</c> over the serial port (<see cref="SimulationSession"/>).
    /// Call <see cref="Start"/> once, then <see cref="Step"/> every few milliseconds. Steady-state steps allocate
    /// nothing (telemetry is formatted into a buffer allocated here).
    /// </summary>
    public sealed class DeviceRuntime
    {
        /// <summary>Telemetry period.</summary>
        public const int TelemetryPeriod_ms = 1000;

        private readonly BmsConfiguration _configuration;
        private readonly BmsHardware _hardware;
        private readonly IDigitalInput _closeRequest;
        private readonly ISerialChannel _serial;
        private readonly ILogSink _telemetry;
        private readonly TelemetryFormatter _formatter = new TelemetryFormatter();
        private BmsSystem _system;
        private SimulationSession _session;
        private long _lastTelemetry_ms;

        /// <param name="configuration">The pack (chemistry profile, cells, temperatures, capacity).</param>
        /// <param name="hardware">The board; <c>Monitor</c> is the real AFE driver.</param>
        /// <param name="closeRequest">Vehicle/interlock input: true = close the contactors; null = never close.</param>
        /// <param name="serial">The serial port, as a byte channel for the simulation link.</param>
        /// <param name="telemetry">The same serial port, for telemetry lines (and start-up messages).</param>
        public DeviceRuntime(BmsConfiguration configuration, BmsHardware hardware, IDigitalInput closeRequest, ISerialChannel serial, ILogSink telemetry)
        {
            _configuration = configuration;
            _hardware = hardware;
            _closeRequest = closeRequest;
            _serial = serial;
            _telemetry = telemetry;
        }

        /// <summary>true when the AFE did not answer and the board runs streamed samples instead.</summary>
        public bool SimulationMode { get { return _session != null; } }

        /// <summary>The BMS on the real AFE (null in simulation mode).</summary>
        public BmsSystem System { get { return _system; } }

        /// <summary>The simulation session (null when the AFE answered).</summary>
        public SimulationSession Session { get { return _session; } }

        /// <summary>Telemetry lines written.</summary>
        public long TelemetryLines { get; private set; }

        /// <summary>Probes the AFE and starts the BMS on it, or simulation mode when it does not answer.</summary>
        public void Start()
        {
            if (!_hardware.Monitor.Initialize())
            {
                Log("bms: AFE not answering: simulation mode, waiting for 'bms-replay stream' on this port");
                _session = new SimulationSession(_serial, _hardware.Clock);
                return;
            }
            _system = new BmsSystem(_configuration, _hardware);
            _system.Start();
            _lastTelemetry_ms = _hardware.Clock.Now_ms;
            Log("bms: running");
        }

        /// <summary>One pass of the main loop: the BMS scheduler (or the link), then telemetry when due.</summary>
        public void Step()
        {
            if (_session != null)
            {
                _session.Poll();
                return;
            }
            if (_closeRequest != null)
            {
                if (_closeRequest.Read())
                {
                    if (!_system.CloseRequested) _system.RequestClose();
                }
                else if (_system.CloseRequested)
                {
                    _system.RequestOpen();
                }
            }
            _system.Poll();

            long now = _hardware.Clock.Now_ms;
            if (now - _lastTelemetry_ms >= TelemetryPeriod_ms && _telemetry != null)
            {
                // Keep the 1 s grid even when a step comes late.
                _lastTelemetry_ms += TelemetryPeriod_ms * ((now - _lastTelemetry_ms) / TelemetryPeriod_ms);
                int length = _formatter.Format(now, _system);
                _telemetry.Write(_formatter.Buffer, 0, length);
                TelemetryLines++;
            }
        }

        private void Log(string text)
        {
            if (_telemetry != null) _telemetry.WriteLine(text);
        }
    }
}
