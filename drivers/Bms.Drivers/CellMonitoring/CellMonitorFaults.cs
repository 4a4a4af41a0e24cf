namespace Bms.Drivers.CellMonitoring
{
    /// <summary>Chip-independent flags a driver decodes from its chip's status registers (bit values).</summary>
    public static class CellMonitorFaults
    {
        /// <summary>No condition.</summary>
        public const int None = 0;
        /// <summary>The chip's own cell over-voltage protection tripped.</summary>
        public const int CellOverVoltage = 1 << 0;
        /// <summary>The chip's own cell under-voltage protection tripped.</summary>
        public const int CellUnderVoltage = 1 << 1;
        /// <summary>Over-current in charge.</summary>
        public const int OverCurrentCharge = 1 << 2;
        /// <summary>Over-current in discharge.</summary>
        public const int OverCurrentDischarge = 1 << 3;
        /// <summary>Short circuit in discharge.</summary>
        public const int ShortCircuit = 1 << 4;
        /// <summary>The chip's own over-temperature protection tripped.</summary>
        public const int OverTemperature = 1 << 5;
        /// <summary>The chip's own under-temperature protection tripped.</summary>
        public const int UnderTemperature = 1 << 6;
        /// <summary>The chip reset since it was configured (configuration has been or must be re-applied).</summary>
        public const int DeviceReset = 1 << 7;
        /// <summary>The chip reports an internal fault (reference, ADC, alert pin override).</summary>
        public const int DeviceFault = 1 << 8;
        /// <summary>An open sense wire was detected.</summary>
        public const int OpenWire = 1 << 9;
        /// <summary>At least one transfer of the scan failed after all retries.</summary>
        public const int CommunicationError = 1 << 10;
        /// <summary>A device of a daisy chain did not answer.</summary>
        public const int DeviceMissing = 1 << 11;
    }
}
