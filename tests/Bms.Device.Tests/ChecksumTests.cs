using Bms.Drivers.Common;
using Bms.Firmware.Storage;
using nanoFramework.TestFramework;

namespace Bms.Device.Tests
{
    /// <summary>
    /// The published protocol vectors, run on nanoCLR (or a real board) so the interpreter itself is checked on
    /// the arithmetic the drivers depend on (byte/ushort wrap-around, shifts, table look-ups).
    /// </summary>
    [TestClass]
    public class ChecksumTests
    {
        [TestMethod]
        public void Crc8_matches_the_bq76952_vectors()
        {
            Assert.AreEqual((byte)0x63, Crc8.Compute(new byte[] { 0x10, 0x3E, 0x22 }, 0, 3));
            Assert.AreEqual((byte)0x00, Crc8.Compute(new byte[] { 0x00 }, 0, 1));
            Assert.AreEqual((byte)0x33, Crc8.Compute(new byte[] { 0x10, 0x14, 0x11, 0x68 }, 0, 4));
            Assert.AreEqual((byte)0x31, Crc8.Compute(new byte[] { 0x0B }, 0, 1));
        }

        [TestMethod]
        public void Crc8_matches_the_bq769x0_vectors()
        {
            Assert.AreEqual((byte)0x24, Crc8.Compute(new byte[] { 0x10, 0x05, 0x40 }, 0, 3));
            Assert.AreEqual((byte)0x85, Crc8.Compute(new byte[] { 0x11, 0x40 }, 0, 2));
        }

        [TestMethod]
        public void Pec15_matches_the_ltc681x_vectors()
        {
            Assert.AreEqual((ushort)0x3D6E, Pec15.Compute(new byte[] { 0x00, 0x01 }, 0, 2));
            Assert.AreEqual((ushort)0x1DD4, Pec15.Compute(new byte[] { 0x12, 0x34 }, 0, 2));
            Assert.AreEqual((ushort)0xFD2C, Pec15.Compute(new byte[] { 0xBE, 0xEF }, 0, 2));
            Assert.AreEqual((ushort)0xBC24, Pec15.Compute(new byte[] { 0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC }, 0, 6));
            Assert.AreEqual((ushort)0x664C, Pec15.Compute(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 0, 6));
            Assert.AreEqual((ushort)0xF46C, Pec15.Compute(new byte[] { 0x03, 0x60 }, 0, 2));
        }

        [TestMethod]
        public void Crc32_matches_the_check_value()
        {
            byte[] text = new byte[] { (byte)'1', (byte)'2', (byte)'3', (byte)'4', (byte)'5', (byte)'6', (byte)'7', (byte)'8', (byte)'9' };
            Assert.AreEqual(0xCBF43926u, Crc32.Compute(text, 0, text.Length));
        }
    }
}
