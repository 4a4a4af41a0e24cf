using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Bq76952;

/// <summary>
/// The 10 ms current read has a written-out healthy path without CRC: its statistics must be the ones the
/// general retrying read (used in CRC mode) keeps, transfer for transfer.
/// </summary>
public class Bq76952CurrentReadStatisticsTests
{
    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 0)]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    [InlineData(false, 9)]
    [InlineData(true, 9)]
    public void Current_read_counts_transfers_retries_and_bytes_like_the_general_read(bool crc, int nacks)
    {
        var f = new Bq76952Fixture(crc: crc).Initialized();
        var s = f.Driver.Statistics;
        long transfers = s.Transfers, retries = s.Retries, failed = s.FailedTransfers, bytes = s.BusBytes;
        if (nacks > 0) f.Chip.Inject(EmulatorFault.Nack, nacks);
        bool ok = f.Driver.ReadCurrent(f.Readings);

        // Battery Status, then CC2: each read takes (failed attempts + 1) transfers, at most MaxAttempts.
        int attempts = f.Config.MaxAttempts;
        int firstReadFails = Math.Min(nacks, attempts);
        int secondReadFails = Math.Min(Math.Max(nacks - attempts, 0), attempts);
        bool expectOk = firstReadFails < attempts && secondReadFails < attempts;
        Assert.Equal(expectOk, ok);
        Assert.Equal(expectOk, f.Readings.CurrentValid);
        if (expectOk) Assert.Equal(f.Pack.Current_mA, f.Readings.Current_mA);

        int firstTransfers = firstReadFails < attempts ? firstReadFails + 1 : attempts;
        int secondTransfers = firstReadFails < attempts ? (secondReadFails < attempts ? secondReadFails + 1 : attempts) : 0;
        Assert.Equal(firstTransfers + secondTransfers, s.Transfers - transfers);
        Assert.Equal(Math.Max(firstTransfers - 1, 0) + Math.Max(secondTransfers - 1, 0), s.Retries - retries);
        Assert.Equal(expectOk ? 0 : 1, s.FailedTransfers - failed);
        if (nacks == 0) Assert.Equal(crc ? 14 : 10, s.BusBytes - bytes);
    }

    /// <summary>Lets the chip answer, except that it does not acknowledge transfers first .. first + count - 1.</summary>
    private sealed class NackingBus : Bms.Hal.II2cDevice
    {
        private readonly Bms.Hal.II2cDevice _inner;
        private int _transfer;
        public int First = int.MaxValue;
        public int Count;
        public NackingBus(Bms.Hal.II2cDevice inner) { _inner = inner; }
        public int Address => _inner.Address;
        private bool Nack() { int t = _transfer++; return t >= First && t < First + Count; }
        public Bms.Hal.BusStatus Write(byte[] buffer, int offset, int count) => Nack() ? Bms.Hal.BusStatus.AddressNack : _inner.Write(buffer, offset, count);
        public Bms.Hal.BusStatus Read(byte[] buffer, int offset, int count) => Nack() ? Bms.Hal.BusStatus.AddressNack : _inner.Read(buffer, offset, count);
        public Bms.Hal.BusStatus WriteRead(byte[] w, int wo, int wc, byte[] r, int ro, int rc) => Nack() ? Bms.Hal.BusStatus.AddressNack : _inner.WriteRead(w, wo, wc, r, ro, rc);
        public void Start() { _transfer = 0; }
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 2)]
    [InlineData(true, 2)]
    [InlineData(false, 3)]
    [InlineData(true, 3)]
    public void A_failing_current_transfer_after_a_healthy_status_read_is_retried_and_counted(bool crc, int nacks)
    {
        var pack = new Bms.Emulators.Common.EmulatedPack(16, 3) { Current_mA = -1234 };
        for (int i = 0; i < 16; i++) pack.CellVoltage_mV[i] = 3600 + 7 * i;
        var chip = new Bms.Emulators.Bq76952.Bq76952Emulator(pack, crc, new Bms.Drivers.Bq76952.Bq76952Configuration(16).CellInputMask);
        var bus = new NackingBus(chip);
        var config = new Bms.Drivers.Bq76952.Bq76952Configuration(16) { CrcMode = crc, Ts2Thermistor = true };
        var driver = new Bms.Drivers.Bq76952.Bq76952(bus, new VirtualClock(), config);
        var readings = new Bms.Drivers.CellMonitoring.CellMonitorReadings(driver.CellCount, driver.TemperatureCount);
        Assert.True(driver.Initialize());
        Assert.True(driver.ReadCurrent(readings));
        var s = driver.Statistics;
        long transfers = s.Transfers, retries = s.Retries, failed = s.FailedTransfers, bytes = s.BusBytes;
        bus.Start();
        bus.First = 1; // the CC2 read, after a healthy Battery Status read
        bus.Count = nacks;
        readings.CurrentValid = true;
        bool ok = driver.ReadCurrent(readings);

        int attempts = config.MaxAttempts;
        bool expectOk = nacks < attempts;
        Assert.Equal(expectOk, ok);
        Assert.Equal(expectOk, readings.CurrentValid);
        if (expectOk) Assert.Equal(-1234, readings.Current_mA);
        int secondTransfers = Math.Min(nacks + 1, attempts);
        Assert.Equal(1 + secondTransfers, s.Transfers - transfers);
        Assert.Equal(secondTransfers - 1, s.Retries - retries);
        Assert.Equal(expectOk ? 0 : 1, s.FailedTransfers - failed);
        // A NACKed transfer is the address byte alone.
        int frame = crc ? 7 : 5;
        Assert.Equal(frame + nacks + (expectOk ? frame : 0), s.BusBytes - bytes);
    }
}

