using Bms.Drivers.Common;

namespace Bms.Drivers.Tests.Common;

public class Pec15Tests
{
    [Theory]
    [InlineData(new byte[] { 0x00, 0x01 }, 0x3D6E)]
    [InlineData(new byte[] { 0x12, 0x34 }, 0x1DD4)]
    [InlineData(new byte[] { 0xBE, 0xEF }, 0xFD2C)]
    [InlineData(new byte[] { 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC }, 0xBC24)]
    [InlineData(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 0x664C)]
    public void Published_vectors(byte[] data, int expected)
    {
        Assert.Equal(expected, Pec15.Compute(data, 0, data.Length));
    }

    [Fact]
    public void Computes_over_an_offset_window_only()
    {
        var buffer = new byte[] { 0xAA, 0x12, 0x34, 0x55 };
        Assert.Equal(0x1DD4, Pec15.Compute(buffer, 1, 2));
    }

    [Fact]
    public void Append_writes_high_byte_first_and_Check_accepts_it()
    {
        var buffer = new byte[] { 0x00, 0x01, 0, 0 };
        Pec15.Append(buffer, 0, 2);
        Assert.Equal(new byte[] { 0x00, 0x01, 0x3D, 0x6E }, buffer);
        Assert.True(Pec15.Check(buffer, 0, 2));
    }

    [Fact]
    public void Check_rejects_every_single_bit_error_in_a_six_byte_block()
    {
        var block = new byte[] { 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0, 0 };
        Pec15.Append(block, 0, 6);
        for (int bit = 0; bit < 64; bit++)
        {
            var damaged = (byte[])block.Clone();
            damaged[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Pec15.Check(damaged, 0, 6), $"bit {bit} flipped went unnoticed");
        }
    }

    [Fact]
    public void Pec_word_always_ends_in_zero()
    {
        var rng = new Random(7);
        var data = new byte[6];
        for (int i = 0; i < 200; i++)
        {
            rng.NextBytes(data);
            Assert.Equal(0, Pec15.Compute(data, 0, 6) & 1);
        }
    }
}
