using Bms.Drivers.CellMonitoring;
using Bms.Hal;

namespace Bms.Firmware.Composition
{
    /// <summary>
    /// Everything physical the BMS talks to. The device app fills it with nanoFramework adapters, the replay
    /// harness and the tests with emulators and host fakes. Optional members may stay null.
    /// </summary>
    public sealed class BmsHardware
    {
        /// <summary>The cell-monitor AFE (or daisy chain). Required.</summary>
        public ICellMonitor Monitor;
        /// <summary>The only time source. Required.</summary>
        public IMonotonicClock Clock;
        /// <summary>Negative main contactor coil. Required.</summary>
        public IDigitalOutput NegativeContactor;
        /// <summary>Positive main contactor coil. Required.</summary>
        public IDigitalOutput PositiveContactor;
        /// <summary>Precharge relay coil. Required.</summary>
        public IDigitalOutput PrechargeRelay;
        /// <summary>Auxiliary contact of the negative contactor (true = closed); null = none.</summary>
        public IDigitalInput NegativeFeedback;
        /// <summary>Auxiliary contact of the positive contactor (true = closed); null = none.</summary>
        public IDigitalInput PositiveFeedback;
        /// <summary>Hardware watchdog; null = none.</summary>
        public IWatchdog Watchdog;
        /// <summary>Non-volatile memory for the SoC record and the fault log; null = nothing persisted.</summary>
        public INonVolatileStorage Storage;
        /// <summary>Diagnostic text (start-up only, never from the steady-state tick); null = silent.</summary>
        public ILogSink Log;
        /// <summary>Pack current sensor used when the AFE has no current sense; null = none.</summary>
        public IPackCurrentSensor CurrentSensor;
        /// <summary>HV link voltage sensor for precharge; null = none (precharge then cannot complete).</summary>
        public ILinkVoltageSensor LinkVoltageSensor;
    }
}
