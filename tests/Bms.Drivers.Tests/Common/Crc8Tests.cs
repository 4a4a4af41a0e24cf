using Bms.Drivers.Common;

namespace Bms.Drivers.Tests.Common;

public class Crc8Tests
{
    // DESIGN.md section 7: BQ76952 I2C CRC vectors, then BQ769x0 vectors.
    [Theory]
    [InlineData(new byte[] { 0x10, 0x3E, 0x22 }, 0x63)]
    [InlineData(new byte[] { 0x00 }, 0x00)]
    [InlineData(new byte[] { 0x10, 0x14, 0x11, 0x68 }, 0x33)]
    [InlineData(new byte[] { 0x0B }, 0x31)]
    [InlineData(new byte[] { 0x10, 0x05, 0x40 }, 0x24)]
    [InlineData(new byte[] { 0x11, 0x40 }, 0x85)]
    public void Published_vectors(byte[] data, int expected)
    {
        Assert.Equal(expected, Crc8.Compute(data, 0, data.Length));
    }

    [Fact]
    public void Update_byte_by_byte_equals_Compute()
    {
        var data = new byte[] { 0x10, 0x14, 0x11, 0x68 };
        byte crc = 0;
        foreach (byte b in data) crc = Crc8.Update(crc, b);
        Assert.Equal(Crc8.Compute(data, 0, data.Length), crc);
    }

    [Fact]
    public void Seeded_compute_continues_a_crc()
    {
        var data = new byte[] { 0x10, 0x14, 0x11, 0x68 };
        byte head = Crc8.Compute(data, 0, 2);
        Assert.Equal(0x33, Crc8.Compute(data, 2, 2, head));
    }
}
