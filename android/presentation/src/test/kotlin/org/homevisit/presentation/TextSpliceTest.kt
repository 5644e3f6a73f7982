package org.homevisit.presentation

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Test

class TextSpliceTest {
    @Test
    fun `between finds the one changed range and applying it gives the new text`() {
        val old = "Sofia loves soccer."
        val new = "Sofia really loves soccer!"
        val s = TextSplice.between(old, new)!!
        assertEquals(new, s.applyTo(old))
        assertEquals(6, s.position)
        assertNull(TextSplice.between(old, old))
    }

    @Test
    fun `between never cuts a surrogate pair`() {
        // The two emoji share their high surrogate: a naive prefix would stop between the halves.
        val old = "art \uD83C\uDFA8"
        val new = "art \uD83C\uDFAD"
        val s = TextSplice.between(old, new)!!
        assertEquals(4, s.position)
        assertEquals(2, s.deleteCount)
        assertEquals(new, s.applyTo(old))
    }

    @Test
    fun `a cursor after a change moves with it, one before it stays`() {
        val partner = TextSplice(0, 0, "Grace: ")
        assertEquals(TextSelection(7 + 5), partner.mapSelection(TextSelection(5)))
        val after = TextSplice(10, 0, " and more")
        assertEquals(TextSelection(5), after.mapSelection(TextSelection(5)))
        assertEquals(TextSelection(10), after.mapSelection(TextSelection(10)), "at the insertion point: stays before it")
    }

    @Test
    fun `two edits of the same text rebase onto each other and agree`() {
        val base = "We met the family."
        val mine = TextSplice(17, 0, " at the park")     // before the final "."
        val theirs = TextSplice(0, 0, "Together: ")
        val a = mine.rebase(theirs, thisFirst = true).applyTo(theirs.applyTo(base))
        val b = theirs.rebase(mine, thisFirst = false).applyTo(mine.applyTo(base))
        assertEquals("Together: We met the family at the park.", a)
        assertEquals(a, b)
        // Same insertion point: the one marked first comes first, both ways round.
        val x = TextSplice(3, 0, "X")
        val y = TextSplice(3, 0, "Y")
        assertEquals("We XYmet", x.rebase(y, true).applyTo(y.applyTo("We met")))
        assertEquals("We XYmet", y.rebase(x, false).applyTo(x.applyTo("We met")))
    }

    @Test
    fun `a deletion overlapping the partner's insertion never deletes the partner's words`() {
        val base = "one two three"
        val partner = TextSplice(4, 3, "2 (two)") // replaces "two"
        val mine = TextSplice(0, 8, "")           // deletes "one two "
        val result = mine.rebase(partner, thisFirst = true).applyTo(partner.applyTo(base))
        assertEquals("2 (two) three", result)
    }
}
