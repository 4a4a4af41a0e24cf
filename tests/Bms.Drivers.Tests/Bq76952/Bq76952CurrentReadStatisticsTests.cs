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
}
