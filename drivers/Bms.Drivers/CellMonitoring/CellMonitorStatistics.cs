namespace Bms.Drivers.CellMonitoring
{
    /// <summary>Counters a driver keeps about its bus traffic and errors. Monotonic since construction.</summary>
    public sealed class CellMonitorStatistics
    {
        /// <summary>Bus transactions attempted (each chip-select frame or I2C START..STOP).</summary>
        public long Transfers;
        /// <summary>Bytes clocked onto the bus in either direction (address bytes included for I2C).</summary>
        public long BusBytes;
        /// <summary>Answers rejected for a wrong CRC or PEC.</summary>
        public long CrcErrors;
        /// <summary>Transactions repeated after a failure.</summary>
        public long Retries;
        /// <summary>Transactions that failed after every retry.</summary>
        public long FailedTransfers;
        /// <summary>Chip resets detected (each followed by re-configuration).</summary>
        public long ResetsDetected;
        /// <summary>
        /// Bus bytes of the last complete <see cref="ICellMonitor.Measure"/> call; for a driver that reads some
        /// values only every few scans (LTC681x TemperatureScanInterval), the mean per scan over the last complete
        /// cycle of those scans.
        /// </summary>
        public int LastScanBusBytes;
    }
}
