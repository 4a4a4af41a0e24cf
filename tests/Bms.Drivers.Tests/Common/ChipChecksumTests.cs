using Bms.Drivers.Common;
using Bms.Emulators.Common;

namespace Bms.Drivers.Tests.Common;

/// <summary>
/// The emulators compute the chips' CRC-8 and PEC15 bit by bit from the datasheet definitions; the drivers use
/// tables. Both must agree on every input, so the emulators keep checking the drivers independently.
/// </summary>
public class ChipChecksumTests
{
    [Fact]
    public void Bitwise_crc8_equals_the_driver_table_for_every_state_and_byte()
    {
        for (int crc = 0; crc < 256; crc++)
            for (int value = 0; value < 256; value++)
                Assert.Equal(Crc8.Update((byte)crc, (byte)value), ChipChecksums.Crc8((byte)crc, (byte)value));
    }

    [Fact]
    public void Bitwise_pec15_equals_the_driver_table_on_random_blocks()
    {
        var random = new Random(11);
        var data = new byte[10];
        for (int n = 0; n < 5000; n++)
        {
            random.NextBytes(data);
            int count = 1 + random.Next(8);
            Assert.Equal(Pec15.Compute(data, 0, count), ChipChecksums.Pec15(data, 0, count));
            ChipChecksums.AppendPec15(data, 0, count);
            Assert.True(Pec15.Check(data, 0, count));
        }
    }

    [Fact]
    public void Bitwise_pec15_gives_the_datasheet_example()
    {
        // LTC6811 datasheet: the PEC of RDCVA (0x00 0x04) is 0x07 0xC2.
        Assert.Equal(0x07C2, ChipChecksums.Pec15(new byte[] { 0x00, 0x04 }, 0, 2));
    }
}
